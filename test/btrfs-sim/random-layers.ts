import fc from 'fast-check';
import type { TarItem } from './fixtures.js';

/**
 * Random layer tars for property tests: paths over a tiny alphabet so that
 * layers collide often (overwrites, type changes, whiteouts of lower paths,
 * opaque directories), contents from a small set so extents are shared, some
 * contents larger than an extent.
 */
const BIG = Buffer.alloc(1024 * 1024 + 3000, 0x61);
const BIG_CHANGED = Buffer.from(BIG);
BIG_CHANGED[5] = 0x62;
const CONTENTS: readonly (string | Buffer)[] = ['', 'x', 'hello\n', 'y'.repeat(3000), BIG, BIG_CHANGED];

const segment = fc.constantFrom('a', 'b', 'c');
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
const mtime = fc.constantFrom(1_600_000_000_000, 1_600_000_000_400, 1_700_000_000_000).map((ms) => new Date(ms));
const mode = fc.constantFrom(0o644, 0o600, 0o4755);

/** One operation of a layer, as the tar entry it becomes. */
export type LayerOp =
  | { readonly op: 'file'; readonly path: string; readonly content: number; readonly mode: number; readonly mtime: Date }
  | { readonly op: 'dir'; readonly path: string; readonly mode: number; readonly mtime: Date }
  | { readonly op: 'symlink'; readonly path: string; readonly target: string; readonly mtime: Date }
  | { readonly op: 'whiteout'; readonly path: string }
  | { readonly op: 'opaque'; readonly path: string }
  | { readonly op: 'xattr'; readonly path: string; readonly value: string; readonly mtime: Date };

export const layerOp: fc.Arbitrary<LayerOp> = fc.oneof(
  fc.record({ op: fc.constant('file' as const), path, content: fc.nat(CONTENTS.length - 1), mode, mtime }),
  fc.record({ op: fc.constant('dir' as const), path, mode: fc.constantFrom(0o755, 0o700), mtime }),
  fc.record({ op: fc.constant('symlink' as const), path, target: fc.constantFrom('a', '../b', '/etc'), mtime }),
  fc.record({ op: fc.constant('whiteout' as const), path }),
  fc.record({ op: fc.constant('opaque' as const), path }),
  fc.record({ op: fc.constant('xattr' as const), path, value: fc.constantFrom('1', '2'), mtime }),
);

export const layerOps = fc.array(layerOp, { minLength: 1, maxLength: 12 });

/**
 * The tar items of ops. An op that would write below a path this tar made a
 * non-directory is dropped (the apply would rightly refuse it), so every
 * generated tar applies.
 */
export function tarItemsOf(ops: readonly LayerOp[]): TarItem[] {
  const leaves = new Set<string>();
  const items: TarItem[] = [];
  for (const op of ops) {
    const parts = op.path.split('/');
    const under = parts.slice(0, op.op === 'opaque' ? parts.length : -1);
    if (under.some((_, i) => leaves.has(under.slice(0, i + 1).join('/')))) continue;
    const dir = parts.slice(0, -1).join('/');
    const base = parts.at(-1)!;
    switch (op.op) {
      case 'file':
        items.push([{ name: op.path, mode: op.mode, mtime: op.mtime }, CONTENTS[op.content]]);
        leaves.add(op.path);
        break;
      case 'xattr':
        items.push([{ name: op.path, mode: 0o644, mtime: op.mtime, pax: { 'SCHILY.xattr.user.k': op.value } }, 'x']);
        leaves.add(op.path);
        break;
      case 'dir':
        items.push([{ name: op.path, type: 'directory', mode: op.mode, mtime: op.mtime }]);
        leaves.delete(op.path);
        break;
      case 'symlink':
        items.push([{ name: op.path, type: 'symlink', linkname: op.target, mtime: op.mtime }]);
        leaves.add(op.path);
        break;
      case 'whiteout':
        items.push([{ name: dir === '' ? `.wh.${base}` : `${dir}/.wh.${base}` }]);
        leaves.delete(op.path);
        break;
      case 'opaque':
        items.push([{ name: `${op.path}/.wh..wh..opq` }]);
        break;
    }
  }
  return items;
}
