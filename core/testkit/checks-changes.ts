import type { Change } from '../driver.js';
import type { Check } from './check.js';
import type { Op } from './ops.js';

/** Nodes whose types the edits below change. */
const TYPE_BASE: readonly Op[] = [
  { op: 'write', path: '/to-dir', data: 'a file, then a directory' },
  { op: 'mkdir', path: '/to-file' },
  { op: 'write', path: '/to-file/child', data: 'hidden by the new file' },
  { op: 'symlink', path: '/to-regular', target: '/to-dir' },
  { op: 'write', path: '/to-symlink', data: 'a file, then a symlink' },
  { op: 'write', path: '/same', data: 'untouched' },
];
const TYPE_EDITS: readonly Op[] = [
  { op: 'remove', path: '/to-dir' },
  { op: 'mkdir', path: '/to-dir' },
  { op: 'write', path: '/to-dir/inside', data: 'new below a type change' },
  { op: 'remove', path: '/to-file' },
  { op: 'write', path: '/to-file', data: 'was a directory' },
  { op: 'remove', path: '/to-regular' },
  { op: 'write', path: '/to-regular', data: 'was a symlink' },
  { op: 'remove', path: '/to-symlink' },
  { op: 'symlink', path: '/to-symlink', target: '/same' },
];

export const changeChecks: readonly Check[] = [
  {
    title: 'a type change is C in changes (as docker diff has it), what is below it A, no D for the hidden children',
    async run(h, t) {
      const base = await h.step(t, null, TYPE_BASE, 'tar');
      await h.step(t, base, TYPE_EDITS);
      const expected: Change[] = [
        { kind: 'C', path: '/to-dir' },
        { kind: 'A', path: '/to-dir/inside' },
        { kind: 'C', path: '/to-file' },
        { kind: 'C', path: '/to-regular' },
        { kind: 'C', path: '/to-symlink' },
      ];
      for (const id of h.lastLayers) {
        t.deepEqual(await h.driver.changes(id, base), expected, `changes of ${id} over its parent`);
        const whole = await h.driver.changes(id, null);
        t.true(whole.every((c) => c.kind === 'A'), `changes of ${id} over nothing are all A`);
      }
    },
  },
];
