import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { parseReference, repositoryName } from '../../core/images/reference.js';

/**
 * The docker CLI parses a `docker tag` target itself (distribution's
 * ParseNormalizedNamed) before it talks to any daemon, so it judges the
 * grammar with no daemon running: pointed at a socket that does not exist, it
 * answers `Error parsing reference …` for a bad name and `Cannot connect …`
 * (or, for a digest, `refusing to create a tag …`) for a good one.
 *
 * The judge is the first docker CLI found; a 20.10 CLI differs from current
 * distribution in two documented corners (reference.ts), left out of the
 * comparison when it is the judge.
 */
function findDocker(): { path: string; major: number } | undefined {
  for (const path of ['/usr/local/bin/docker', '/usr/bin/docker']) {
    try {
      const version = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const m = /version (\d+)\./.exec(version);
      if (m) return { path, major: Number(m[1]) };
    } catch {
      // not there
    }
  }
  return undefined;
}
const docker = findDocker();

function dockerAccepts(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(docker!.path, ['tag', 'a', name], { env: { DOCKER_HOST: 'unix:///nonexistent/strata-test.sock', HOME: '/nonexistent' } }, (err, _out, stderr) => {
      resolve(!(err && /Error parsing reference|invalid reference format|must not be more than/.test(stderr)));
    });
  });
}

function oursAccepts(name: string): boolean {
  try {
    parseReference(name);
    return true;
  } catch {
    return false;
  }
}

/** The corners where a 20.10 CLI differs from current distribution (see reference.ts). */
function legacyCorner(name: string): boolean {
  const first = name.split('/')[0]!;
  if (name.includes('/') && first.startsWith('[')) return true;
  if (name.includes('/') && first !== 'localhost' && !/[.:]/.test(first) && first.toLowerCase() !== first) return true;
  try {
    return repositoryName(parseReference(name)).length > 255;
  } catch {
    return false;
  }
}

/** Names whose first element has '.' but is no valid host: a documented deviation of strata. */
function strataDeviation(name: string): boolean {
  const slash = name.indexOf('/');
  return slash > 0 && /[.:]/.test(name.slice(0, slash)) && /_/.test(name.slice(0, slash));
}

const alphabet = 'aZ09:/@._-'.split('');
const names = fc.oneof(
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 14 }),
  fc
    .tuple(
      fc.constantFrom('', 'localhost/', 'localhost:5000/', 'a.b/', 'Foo/', 'F.o/', 'docker.io/', 'index.docker.io/', '[::1]:5/', 'a:1/'),
      fc.string({ unit: fc.constantFrom(...'ab9._-/'.split('')), minLength: 1, maxLength: 8 }),
      fc.constantFrom('', ':t', ':T_1.x', ':-x', ':', `@sha256:${'a'.repeat(64)}`, `@sha256:${'A'.repeat(64)}`, `@sha512:${'a'.repeat(64)}`),
    )
    .map(([a, b, c]) => a + b + c),
);

(docker ? test : test.skip)(`strata accepts exactly the names the docker CLI accepts${docker ? ` (${docker.path}, ${docker.major}.x)` : ' (no docker CLI here)'}`, async (t) => {
  const fixed = ['busybox', 'Hello', 'Foo/bar', 'a'.repeat(237), 'a'.repeat(238), 'a'.repeat(247), 'a'.repeat(248), `localhost/${'c'.repeat(244)}`];
  const fixedHex = ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'localhost:5000/a/b:t', 'foo::x'];
  const samples = [...new Set([...fixed, ...fixedHex, ...fc.sample(names, { numRuns: 60 })])];
  const cases = samples.filter((s) => !strataDeviation(s) && !(docker!.major < 23 && legacyCorner(s)));
  for (let i = 0; i < cases.length; i += 2) {
    const batch = cases.slice(i, i + 2);
    const verdicts = await Promise.all(batch.map(dockerAccepts));
    batch.forEach((name, k) => t.is(oursAccepts(name), verdicts[k], JSON.stringify(name)));
  }
});
