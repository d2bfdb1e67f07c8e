import type { BaseTree } from './base-tree.js';
import type { LayerItem } from './layer-items.js';
import { Rng } from './rng.js';

/** How many of each kind of change a change set holds. */
export interface ChangeCounts {
  add: number;
  modify: number;
  delete: number;
  chmod: number;
  replaceDir: number;
}

/** An upper layer over a base tree: its items in tar order, and what they change. */
export interface ChangeSet {
  readonly items: readonly LayerItem[];
  readonly counts: Readonly<ChangeCounts>;
  /** Each change as a person would make it through a mount (see mount-script.ts). */
  readonly changes: readonly Change[];
}

export type Change =
  | { readonly kind: 'add' | 'modify'; readonly path: string; readonly size: number }
  | { readonly kind: 'delete'; readonly path: string }
  | { readonly kind: 'chmod'; readonly path: string; readonly mode: number }
  | { readonly kind: 'replaceDir'; readonly path: string; readonly files: readonly { readonly name: string; readonly size: number }[] };

/**
 * Paths a change set must leave alone (lookup targets of a stack), and paths
 * earlier layers of the same stack deleted or replaced (updated in place, so
 * no later layer touches a path that is gone).
 */
export interface ChangeConstraints {
  readonly keep?: ReadonlySet<string>;
  readonly gone?: Set<string>;
}

function isUnderAny(path: string, dirs: ReadonlySet<string>): boolean {
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    if (dirs.has(path.slice(0, i))) return true;
  }
  return dirs.has(path);
}

/**
 * A deterministic change set of `count` changes over `base`: about 40% file
 * rewrites (new content and size), 30% added files, 15% deletions (files and
 * symlinks), 10% chmods, 5% directory replacements (the directory made opaque
 * with three new files). Each change touches a distinct path; when the base has
 * too few candidates the rest become additions.
 */
export function generateChangeSet(base: BaseTree, count: number, seed: number, constraints: ChangeConstraints = {}): ChangeSet {
  const rng = new Rng(seed * 104729 + count);
  const keep = constraints.keep ?? new Set<string>();
  const gone = constraints.gone ?? new Set<string>();
  const counts: ChangeCounts = { add: 0, modify: 0, delete: 0, chmod: 0, replaceDir: 0 };
  const items: LayerItem[] = [];
  const changes: Change[] = [];

  const wanted = { replaceDir: Math.floor(count * 0.05), delete: Math.floor(count * 0.15), chmod: Math.floor(count * 0.1), modify: Math.floor(count * 0.4) };
  // Directories that can be replaced: at depth >= 2, not an ancestor of a kept path, not gone.
  const keptAncestors = new Set<string>();
  for (const p of keep) for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) keptAncestors.add(p.slice(0, i));
  const replaced = new Set<string>();
  for (const dir of rng.shuffled(base.dirs)) {
    if (replaced.size >= wanted.replaceDir) break;
    if (!dir.includes('/') || keptAncestors.has(dir) || keep.has(dir) || isUnderAny(dir, gone) || isUnderAny(dir, replaced)) continue;
    replaced.add(dir);
  }
  for (const dir of replaced) {
    items.push({ kind: 'dir', path: dir, mode: 0o755 }, { kind: 'opaque', path: dir });
    const files: { name: string; size: number }[] = [];
    for (let j = 0; j < 3; j++) {
      const file = { name: `replaced-${seed}-${j}`, size: rng.int(64, 4096) };
      items.push({ kind: 'file', path: `${dir}/${file.name}`, mode: 0o644, size: file.size, seed: rng.int(1, 2 ** 30) });
      files.push(file);
    }
    changes.push({ kind: 'replaceDir', path: dir, files });
    gone.add(dir);
    counts.replaceDir++;
  }

  const usable = (p: string): boolean => !keep.has(p) && !isUnderAny(p, gone);
  const files = rng.shuffled([...base.files.keys()]).filter(usable);
  const links = rng.shuffled(base.symlinks).filter(usable);
  let fi = 0;
  for (let i = 0; i < wanted.delete && (fi < files.length || links.length > 0); i++) {
    const path = i % 4 === 3 && links.length > 0 ? links.pop()! : fi < files.length ? files[fi++]! : links.pop()!;
    items.push({ kind: 'whiteout', path });
    changes.push({ kind: 'delete', path });
    gone.add(path);
    counts.delete++;
  }
  for (let i = 0; i < wanted.modify && fi < files.length; i++) {
    const old = base.files.get(files[fi++]!)!;
    const size = Math.min(old.size, 65536) + rng.int(1, 512);
    items.push({ ...old, size, seed: rng.int(1, 2 ** 30) });
    changes.push({ kind: 'modify', path: old.path, size });
    counts.modify++;
  }
  for (let i = 0; i < wanted.chmod && fi < files.length; i++) {
    const old = base.files.get(files[fi++]!)!;
    const mode = old.mode === 0o600 ? 0o644 : 0o600;
    items.push({ ...old, mode });
    changes.push({ kind: 'chmod', path: old.path, mode });
    counts.chmod++;
  }
  const dirs = base.dirs.filter((d) => !isUnderAny(d, gone));
  for (let i = counts.replaceDir + counts.delete + counts.modify + counts.chmod; i < count; i++) {
    const path = `${rng.pick(dirs)}/added-${seed}-${i.toString(36)}.dat`;
    const size = rng.int(64, 8192);
    items.push({ kind: 'file', path, mode: 0o644, size, seed: rng.int(1, 2 ** 30) });
    changes.push({ kind: 'add', path, size });
    counts.add++;
  }
  return { items, counts, changes };
}
