/** The `Step N/M : …` lines against every corpus recording (a failing build's are a prefix). */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDockerfile } from '../../core/build/parse-dockerfile.js';
import { planBuild } from '../../core/build/plan.js';
import { classicSteps } from '../../core/build/step-lines.js';
import { corpusDir, listCases, readExpected } from './corpus.js';
import type { CaseOptions } from './corpus.js';

for (const name of await listCases()) {
  test(`corpus ${name}: Step lines as Docker prints them`, async (t) => {
    const expected = await readExpected(name).catch(() => undefined);
    if (!expected || expected.steps.length === 0) { t.pass('no steps recorded (a parse error)'); return; }
    const options: CaseOptions = await readFile(join(corpusDir, name, 'case.json'), 'utf8').then(JSON.parse, () => ({}));
    const df = parseDockerfile(await readFile(join(corpusDir, name, 'context', options.dockerfile ?? 'Dockerfile'), 'utf8'));
    const lines = classicSteps(df, planBuild(df, { target: options.target }).target, options.labels).map((s) => s.line);
    if (expected.exitCode === 0) t.deepEqual(lines, expected.steps);
    else t.deepEqual(lines.slice(0, expected.steps.length), expected.steps);
  });
}
