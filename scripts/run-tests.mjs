#!/usr/bin/env node
// Runs every ava test file under dist/test with the TAP reporter, passes the
// output through, and ends with one line: "tests: N passed, N failed, N skipped".
// Exit status: ava's (non-zero when any test failed or none ran).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const avaBin = fileURLToPath(new URL('../node_modules/ava/entrypoints/cli.mjs', import.meta.url));
const child = spawn(process.execPath, [avaBin, '--tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const counts = { pass: 0, fail: 0, skip: 0, todo: 0 };
const lines = createInterface({ input: child.stdout });
lines.on('line', (line) => {
  process.stdout.write(line + '\n');
  const m = /^# (pass|fail|skip|todo) (\d+)$/.exec(line);
  if (m) counts[m[1]] = Number(m[2]);
});
child.on('close', (code) => {
  const total = counts.pass + counts.fail + counts.skip;
  const failed = counts.fail + (code !== 0 && counts.fail === 0 ? 1 : 0);
  process.stdout.write(`tests: ${counts.pass} passed, ${failed} failed, ${counts.skip} skipped\n`);
  process.exit(code === 0 && total > 0 ? 0 : code || 1);
});
