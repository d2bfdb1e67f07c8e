import { posix } from 'node:path';
import { type LayerItem } from './layer-items.js';
import { Rng } from './rng.js';

/** A generated base layer, with indexes the change-set generator draws from. */
export interface BaseTree {
  readonly entries: number;
  readonly seed: number;
  /** Tar order: directories (parents first), files, symlinks, hardlinks. */
  readonly items: readonly LayerItem[];
  /** Every directory path (not the root). */
  readonly dirs: readonly string[];
  /** Regular-file items by path (hardlinks excluded). */
  readonly files: ReadonlyMap<string, Extract<LayerItem, { kind: 'file' }>>;
  readonly symlinks: readonly string[];
}

const SKELETON = [
  'bin', 'boot', 'etc', 'etc/default', 'etc/ssl', 'home', 'lib', 'lib/modules', 'opt', 'root', 'sbin', 'srv',
  'usr', 'usr/bin', 'usr/include', 'usr/lib', 'usr/lib/x86_64-linux-gnu', 'usr/local', 'usr/sbin', 'usr/share',
  'usr/share/doc', 'usr/share/locale', 'usr/share/man', 'var', 'var/cache', 'var/lib', 'var/log',
];
const WORDS = ['lib', 'python3', 'perl5', 'gnu', 'site', 'pkg', 'doc', 'man', 'locale', 'include', 'modules',
  'conf', 'data', 'plugins', 'share', 'x11', 'font', 'icons', 'zoneinfo', 'systemd', 'dist', 'core'];
const EXTS = ['', '.so', '.conf', '.h', '.py', '.txt', '.gz', '.mo', '.pm', '.json'];

/**
 * Size of a small file, in bytes: most under 512 B, a fifth up to 4 KiB, a few
 * up to 32 KiB, rare ones up to 256 KiB (mean about 1.3 KiB). Smaller than a
 * real distro root (mean ~8 KiB) on purpose: per-entry costs are what differ
 * between drivers, and the full run must fit in 20 minutes on a slow disk.
 */
function smallFileSize(rng: Rng): number {
  const r = rng.next();
  if (r < 0.75) return rng.int(32, 512);
  if (r < 0.97) return rng.int(512, 4096);
  if (r < 0.999) return rng.int(4096, 32768);
  return rng.int(32768, 262144);
}

/**
 * A deterministic base tree shaped like a distribution root filesystem, of
 * about `entries` entries (± a few): ~10% nested directories, ~85% files
 * (mostly small; one 2 MiB file per 10,000 entries, at least one from 1,000 entries up), ~4% symlinks
 * (relative and absolute targets), ~1% hardlinks. Same (entries, seed), same tree.
 */
export function generateBaseTree(entries: number, seed = 1): BaseTree {
  const rng = new Rng(seed * 7919 + entries);
  const items: LayerItem[] = [];
  const dirs: string[] = [];
  const depthOf = new Map<string, number>();
  const addDir = (path: string): void => {
    items.push({ kind: 'dir', path, mode: 0o755 });
    dirs.push(path);
    depthOf.set(path, path.split('/').length);
  };
  const skeleton = entries >= 200 ? SKELETON : SKELETON.slice(0, 4);
  for (const path of skeleton) addDir(path);
  const dirCount = Math.max(skeleton.length, Math.round(entries * 0.1));
  for (let i = dirs.length; i < dirCount; i++) {
    // Favour deeper parents a little, so paths reach depth 8–12 as in /usr/lib.
    const a = rng.pick(dirs);
    const b = rng.pick(dirs);
    const parent = depthOf.get(a)! >= depthOf.get(b)! ? a : b;
    addDir(`${parent}/${rng.pick(WORDS)}${i.toString(36)}`);
  }

  const files = new Map<string, Extract<LayerItem, { kind: 'file' }>>();
  const fileCount = Math.round(entries * 0.85);
  const large = entries < 1000 ? 0 : Math.max(1, Math.floor(entries / 10000));
  for (let i = 0; i < fileCount; i++) {
    const path = `${rng.pick(dirs)}/${rng.pick(WORDS)}-${i.toString(36)}${rng.pick(EXTS)}`;
    const size = i < large ? 2 << 20 : smallFileSize(rng);
    const mode = rng.next() < 0.2 ? 0o755 : rng.next() < 0.01 ? 0o4755 : 0o644;
    const item = { kind: 'file', path, mode, size, seed: seed * 1_000_003 + i } as const;
    items.push(item);
    files.set(path, item);
  }

  const filePaths = [...files.keys()];
  const symlinks: string[] = [];
  const linkCount = Math.round(entries * 0.04);
  for (let i = 0; i < linkCount; i++) {
    const dir = rng.pick(dirs);
    const to = rng.pick(filePaths);
    const target = rng.next() < 0.3 ? `/${to}` : posix.relative(dir, to);
    const path = `${dir}/link-${i.toString(36)}`;
    items.push({ kind: 'symlink', path, target });
    symlinks.push(path);
  }
  const hardCount = Math.max(0, entries - items.length);
  for (let i = 0; i < hardCount; i++) {
    items.push({ kind: 'hardlink', path: `${rng.pick(dirs)}/hard-${i.toString(36)}`, target: rng.pick(filePaths) });
  }
  return { entries, seed, items, dirs, files, symlinks };
}
