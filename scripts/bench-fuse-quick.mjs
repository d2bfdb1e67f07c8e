#!/usr/bin/env node
// A quick side-by-side of strata's FUSE union (through strata-fuse-overlay) and kernel overlayfs
// on one small stack: mount-ready time, warm small-file read, readdir, warm sequential read of a
// large file. Medians; run as root after `npx tsc`. Not a test: figures vary with machine load.
//
//     node scripts/bench-fuse-quick.mjs [big-file-MiB=200] [depth=2]
//
// depth: lower layers; the files sit in the bottom one, each layer above adds one file.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../dist/bundle/cli/fuse-overlay.js', import.meta.url));
const bigMiB = Number(process.argv[2] ?? 200);
const depth = Math.max(2, Number(process.argv[3] ?? 2));
const root = mkdtempSync(join(tmpdir(), 'strata-bench-fuse-'));
const d = (...p) => join(root, ...p);
for (const dir of ['A/small', 'up-k', 'work-k', 'up-f', 'work-f', 'k', 'f', 'r']) mkdirSync(d(dir), { recursive: true });
for (let i = 0; i < 200; i++) writeFileSync(d('A/small', `f${i}`), `file ${i}\n`.repeat(50));
execFileSync('dd', ['if=/dev/urandom', `of=${d('A/big')}`, 'bs=1M', `count=${bigMiB}`], { stdio: 'ignore' });
const lowers = [];
for (let i = depth - 1; i >= 1; i--) {
  mkdirSync(d(`L${i}`));
  writeFileSync(d(`L${i}`, `f${i}`), `${i}\n`);
  lowers.push(d(`L${i}`));
}
lowers.push(d('A'));
const lowerdir = lowers.join(':');

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (f) => { const s = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - s) / 1e6; };

const mounts = {
  kernel: () => execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowerdir},upperdir=${d('up-k')},workdir=${d('work-k')}`, d('k')]),
  'fuse rw': () => execFileSync(process.execPath, [BIN, '-o', `lowerdir=${lowerdir},upperdir=${d('up-f')},workdir=${d('work-f')}`, d('f')]),
  'fuse ro': () => execFileSync(process.execPath, [BIN, '-o', `lowerdir=${lowerdir}`, d('r')]),
};
const where = { kernel: d('k'), 'fuse rw': d('f'), 'fuse ro': d('r') };

// Runs in a child process: never the mounting process touching a FUSE mount.
const probe = `
const fs = require('fs'); const dir = process.argv[1];
const t = () => Number(process.hrtime.bigint()) / 1e3;
const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const small = []; for (let r = 0; r < 6; r++) for (let i = 0; i < 200; i++) { const s = t(); fs.readFileSync(dir + '/small/f' + i); if (r > 0) small.push(t() - s); }
const rd = []; for (let r = 0; r < 300; r++) { const s = t(); fs.readdirSync(dir + '/small'); if (r > 0) rd.push(t() - s); }
const st = []; for (let r = 0; r < 3; r++) for (let i = 0; i < 200; i++) { const s = t(); fs.lstatSync(dir + '/small/f' + i); if (r > 0) st.push(t() - s); }
const buf = Buffer.alloc(1 << 20); const big = []; for (let r = 0; r < 3; r++) { const fd = fs.openSync(dir + '/big', 'r'); const s = t(); let n = 0, got; while ((got = fs.readSync(fd, buf, 0, buf.length, null)) > 0) n += got; fs.closeSync(fd); big.push(n / (t() - s)); }
console.log(JSON.stringify({ small: med(small), readdir: med(rd), stat: med(st), bigMBps: Math.max(...big) }));
`;

const rows = [];
try {
  for (const [name, mount] of Object.entries(mounts)) {
    const ready = median([0, 1, 2].map(() => { const t = ms(mount); spawnSync('umount', [where[name]]); spawnSync('sleep', ['1.2']); return t; }));
    mount();
    const r = JSON.parse(execFileSync(process.execPath, ['-e', probe, where[name]], { encoding: 'utf8' }));
    rows.push({ name, ready, ...r });
    spawnSync('umount', [where[name]]);
  }
} finally {
  for (const m of Object.values(where)) spawnSync('umount', ['-l', m]);
  rmSync(root, { recursive: true, force: true });
}
console.log(`depth ${depth}, load ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
console.log('mount          ready ms  small-file read µs  readdir(200) µs  lstat µs  big read MB/s');
for (const r of rows) {
  console.log(`${r.name.padEnd(14)} ${r.ready.toFixed(0).padStart(8)}  ${r.small.toFixed(0).padStart(18)}  ${r.readdir.toFixed(0).padStart(15)}  ${r.stat.toFixed(1).padStart(8)}  ${r.bigMBps.toFixed(0).padStart(13)}`);
}
