import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import test from 'ava';
import { makeTarballs } from './fixtures.js';
import { CLI, runCli, tempDir } from './run-cli.js';

/** Single-quotes a word for sh. */
const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI with stdin, stdout and stderr on a pseudo-terminal (util-linux
 * `script`), as a person at a terminal would; returns what the terminal showed.
 */
function onTerminal(args: readonly string[]): { status: number | null; screen: string } {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) throw result.error;
  return { status: result.status, screen: result.stdout };
}

test('layer diff refuses to write a tar to a terminal, and import to read one from it', async (t) => {
  const dir = await tempDir('tty');
  t.teardown(dir.cleanup);
  const tars = await makeTarballs(dir.path);
  const root = ['--root', join(dir.path, 'root')];
  const id = (await runCli([...root, 'layer', 'import', tars.base])).stdout.trim();
  t.regex(id, /^sha256:/);

  const diff = onTerminal([...root, 'layer', 'diff', id]);
  t.is(diff.status, 2);
  t.regex(diff.screen, /^strata: refusing to write a tar to a terminal[^\n]*\r?\n$/);

  const stdin = onTerminal([...root, 'layer', 'import', '-']);
  t.is(stdin.status, 2);
  t.regex(stdin.screen, /^strata: refusing to read a tar from a terminal/);

  const ls = await runCli([...root, '--json', 'layer', 'ls']);
  t.is((JSON.parse(ls.stdout) as unknown[]).length, 1, 'nothing was imported from the terminal');
});

test('on a terminal, import prints the chain id and leaves no progress line behind', async (t) => {
  const dir = await tempDir('tty-import');
  t.teardown(dir.cleanup);
  const tars = await makeTarballs(dir.path);
  const result = onTerminal(['--root', join(dir.path, 'root'), 'layer', 'import', tars.baseGz]);
  t.is(result.status, 0, result.screen);
  // Whatever progress was drawn is erased (\r + clear line) before the id is printed.
  const visible = result.screen.replace(/\r\x1b\[K[^\r\n]*(?=\r\x1b\[K)/g, '').replace(/\r\x1b\[K/g, '');
  t.regex(visible, /^sha256:[0-9a-f]{64}\r?\n$/);
});
