import { readFile } from 'node:fs/promises';
import test from 'ava';

/** The repository root, from dist/test/cli/. */
const repo = new URL('../../../', import.meta.url);

const QUOTED = ['test/out-of-tree/plain-copy-driver.ts', 'test/out-of-tree/module.ts', 'test/out-of-tree/plain-copy.test.ts'];

test('README starts with the demo and test commands, in one code block after the title', async (t) => {
  const readme = await readFile(new URL('README.md', repo), 'utf8');
  t.true(readme.startsWith('# strata\n\n```sh\nnpm ci && npm run demo\nnpm test\n```\n'));
});

for (const path of QUOTED) {
  test(`README's "Writing a driver" quotes ${path} verbatim (the code the out-of-tree test runs)`, async (t) => {
    const [readme, source] = await Promise.all([readFile(new URL('README.md', repo), 'utf8'), readFile(new URL(path, repo), 'utf8')]);
    t.true(readme.includes('```ts\n' + source + '```\n'), `README is out of date with ${path}`);
  });
}
