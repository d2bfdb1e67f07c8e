import { chainCheck } from './check.js';
import type { Check } from './check.js';
import type { Op } from './ops.js';

const write = (path: string, data: string, more: Partial<Extract<Op, { op: 'write' }>> = {}): Op => ({ op: 'write', path, data, ...more });
const mkdir = (path: string, more: Partial<Extract<Op, { op: 'mkdir' }>> = {}): Op => ({ op: 'mkdir', path, ...more });
const remove = (path: string): Op => ({ op: 'remove', path });
const chown = (path: string, uid: number, gid: number): Op => ({ op: 'chown', path, uid, gid });

/** A base layer with the modes and owners that break naive copies. */
export const ODD_BASE: readonly Op[] = [
  mkdir('/tmp', { mode: 0o1777 }),
  mkdir('/bin'),
  write('/bin/su', 'setuid', { mode: 0o4755 }),
  write('/bin/wall', 'setgid', { mode: 0o2755, gid: 5 }),
  mkdir('/srv', { mode: 0o2775, uid: 33, gid: 33 }),
  mkdir('/home'),
  mkdir('/home/user', { mode: 0o700, uid: 1000, gid: 1000 }),
  write('/home/user/.profile', 'export A=1\n', { mode: 0o600, uid: 1000, gid: 1000 }),
  write('/odd', 'odd owner', { mode: 0o640, uid: 4_000_000, gid: 65534 }),
  write('/none', '', { mode: 0o000 }),
  write('/big', 'strata '.repeat(50_000)),
  { op: 'symlink', path: '/bin/sh', target: 'su', uid: 1000, gid: 1000 },
  { op: 'symlink', path: '/dangling', target: '/nowhere/at/all' },
  mkdir('/dev'),
  { op: 'mknod', path: '/dev/null', kind: 'char', mode: 0o666, major: 1, minor: 3 },
  { op: 'mknod', path: '/fifo', kind: 'fifo', mode: 0o600 },
];

/** Scenarios that are stacks of edits: every layer, by tar and by mount, must equal the oracle. */
export const chainChecks: readonly Check[] = [
  chainCheck('base layer keeps sticky, setuid, setgid bits, odd owners, devices, fifos and symlinks', [ODD_BASE], { root: true }),
  chainCheck('a child keeps its parent\'s modes and owners', [
    { ops: ODD_BASE, route: 'tar' },
    [],
    [write('/home/user/new', 'new', { mode: 0o600, uid: 1000, gid: 1000 })],
  ], { root: true }),
  chainCheck('file content and mode overwrite', [
    { ops: [mkdir('/etc'), write('/etc/conf', 'one'), write('/tool', 'tool', { mode: 0o755 })], route: 'tar' },
    [write('/etc/conf', 'two, and longer', { mode: 0o600 }), { op: 'chmod', path: '/tool', mode: 0o700 }],
  ]),
  chainCheck('a directory removed in a lower layer and recreated hides its old children', [
    { ops: [mkdir('/d'), write('/d/a', 'a'), mkdir('/d/sub'), write('/d/sub/b', 'b')], route: 'tar' },
    [remove('/d')],
    [mkdir('/d', { mode: 0o750 }), write('/d/c', 'c')],
    [remove('/d'), mkdir('/d'), write('/d/e', 'e')],
  ]),
  chainCheck('chown-only layer', [
    { ops: [write('/f', 'f'), mkdir('/dir'), write('/dir/g', 'g'), { op: 'symlink', path: '/link', target: 'f' }], route: 'tar' },
    [chown('/f', 1000, 1000), chown('/dir', 2000, 2001), chown('/link', 3000, 3001)],
  ], { root: true }),
  chainCheck('ownership over three layers with remove and recreate', [
    [write('/f', 'one', { uid: 1, gid: 1 }), mkdir('/d', { uid: 2, gid: 2 })],
    [remove('/f'), chown('/d', 3, 3)],
    [write('/f', 'two', { uid: 4, gid: 4 }), write('/d/x', 'x', { uid: 5, gid: 5 })],
  ], { root: true }),
  chainCheck('deleted files in a child', [
    { ops: [write('/a', 'a'), write('/b', 'b'), mkdir('/dir'), write('/dir/c', 'c'), write('/dir/d', 'd')], route: 'tar' },
    [remove('/a'), remove('/dir/c')],
    [remove('/dir')],
  ]),
  chainCheck('a file moved from a lower layer', [
    { ops: [mkdir('/src'), write('/src/f', 'moving', { mode: 0o640 }), mkdir('/dst')], route: 'tar' },
    [{ op: 'rename', from: '/src/f', to: '/dst/g' }],
  ]),
  chainCheck('type replacements: file→dir, dir→symlink, symlink→dir, dir→file', [
    { ops: [write('/f', 'f'), mkdir('/d'), write('/d/x', 'x'), { op: 'symlink', path: '/s', target: 'f' }], route: 'tar' },
    [
      remove('/f'), mkdir('/f'), write('/f/inside', 'inside'),
      remove('/d'), { op: 'symlink', path: '/d', target: 'f' },
      remove('/s'), mkdir('/s'), write('/s/y', 'y'),
    ],
    [remove('/f'), write('/f', 'a file again')],
  ]),
];
