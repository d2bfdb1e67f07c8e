import { readFile } from 'node:fs/promises';
import test from 'ava';
import { runCli } from './run-cli.js';

const packageVersion = async () => (JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

test('--version and -v print the version from package.json and exit 0, as `docker --version`', async (t) => {
  const version = await packageVersion();
  for (const flag of ['--version', '-v']) {
    const result = await runCli([flag]);
    t.is(result.status, 0, result.stderr);
    t.is(result.stdout, `strata version ${version}\n`);
  }
});

test('`version` shows the version, Node and the platform; --json as one object', async (t) => {
  const version = await packageVersion();
  const human = await runCli(['version']);
  t.is(human.status, 0, human.stderr);
  t.regex(human.stdout, new RegExp(`^Version: +${version.replace(/\./g, '\\.')}\nNode Version: +${process.version}\nOS/Arch: +linux/\\w+\n$`));
  const json = await runCli(['--json', 'version']);
  t.like(JSON.parse(json.stdout), { Version: version, NodeVersion: process.version });
});
