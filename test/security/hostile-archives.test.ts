import test from 'ava';
import { lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectoryTree, ErrorCode, MAX_DEPTH, deletingWhiteouts, type ExtractOptions } from '../../core/engine.js';
import { assertRefused, extract, gnuTar, hashTree, listTree, packTar, runningAsRoot, sandbox, type Sandbox, type TarItem } from '../archive/fixtures.js';

/**
 * Every hostile class: the extraction fails with the code, one line naming the
 * entry, and the canary directory next to the layer is byte-for-byte unchanged.
 */
interface HostileCase {
  readonly title: string;
  readonly items: (box: Sandbox) => TarItem[];
  readonly code: ErrorCode;
  /** Text the message must contain (the offending entry's name). */
  readonly entry: string;
  /** What the layer directory (vfs: a copy of the parent) holds before. */
  readonly before?: (box: Sandbox) => Promise<void>;
  /** Extraction options (e.g. a lower layer) built in the sandbox. */
  readonly options?: (box: Sandbox) => Promise<Partial<ExtractOptions>>;
}

/** A lower layer (overlay style: the layer directory starts empty) holding a symlink that points at the canary. */
async function lowerWithEscape(box: Sandbox): Promise<Partial<ExtractOptions>> {
  const lower = join(box.root, 'lower');
  await mkdir(lower);
  await symlink(box.canary, join(lower, 'evil'));
  return { lower: new DirectoryTree(lower) };
}

async function layerWithEscape(box: Sandbox): Promise<void> {
  await symlink('../canary', join(box.layer, 'evil'));
}

const cases: HostileCase[] = [
  { title: '".." climbing out of the layer', items: () => [{ name: '../canary/secret.txt', body: 'pwned' }], code: ErrorCode.EUNSAFEARCHIVE, entry: '../canary/secret.txt' },
  { title: '".." in the middle of a name', items: () => [{ name: 'a/b/../../../canary/new', body: 'pwned' }], code: ErrorCode.EUNSAFEARCHIVE, entry: 'a/b/../../../canary/new' },
  {
    title: 'a relative symlink pointing out, then a file written through it',
    items: () => [{ name: 'evil', type: 'symlink', linkname: '../canary' }, { name: 'evil/secret.txt', body: 'pwned' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'evil/secret.txt',
  },
  {
    title: 'an absolute symlink pointing out, then a directory created through it',
    items: (box) => [{ name: 'abs', type: 'symlink', linkname: box.canary }, { name: 'abs/newdir/', type: 'directory' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'abs/newdir',
  },
  {
    title: 'a chain of symlinks leading out',
    items: () => [
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: '../canary/sub' },
      { name: 'a/data', body: 'pwned' },
    ],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'a/data',
  },
  {
    title: 'a symlink loop used as a parent',
    items: () => [{ name: 'loop', type: 'symlink', linkname: 'loop' }, { name: 'loop/x', body: 'x' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'loop/x',
  },
  {
    title: 'a symlink left by the parent layer (vfs copy), written through',
    before: layerWithEscape,
    items: () => [{ name: 'evil/secret.txt', body: 'pwned' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'evil/secret.txt',
  },
  {
    title: 'a symlink in a lower layer (overlay), written through',
    options: lowerWithEscape,
    items: () => [{ name: 'evil/secret.txt', body: 'pwned' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'evil/secret.txt',
  },
  { title: 'a hardlink to a path outside', items: () => [{ name: 'h', type: 'link', linkname: '../canary/secret.txt' }], code: ErrorCode.EUNSAFEARCHIVE, entry: '"h"' },
  {
    title: 'a hardlink whose target is reached through a symlink',
    items: () => [{ name: 'evil', type: 'symlink', linkname: '../canary' }, { name: 'h', type: 'link', linkname: 'evil/secret.txt' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: '"h"',
  },
  {
    title: 'a hardlink reached through a lower layer symlink',
    options: lowerWithEscape,
    items: () => [{ name: 'h', type: 'link', linkname: 'evil/secret.txt' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: '"h"',
  },
  {
    title: 'a hardlink to a directory',
    items: () => [{ name: 'd/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: '"h"',
  },
  { title: 'a whiteout climbing out', items: () => [{ name: '../.wh.canary' }], code: ErrorCode.EUNSAFEARCHIVE, entry: '../.wh.canary' },
  {
    title: 'a whiteout removing through a symlink of this layer',
    items: () => [{ name: 'evil', type: 'symlink', linkname: '../canary' }, { name: 'evil/.wh.secret.txt' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'evil/.wh.secret.txt',
  },
  {
    title: 'a whiteout removing through a symlink of the parent layer',
    before: layerWithEscape,
    items: () => [{ name: 'evil/sub/.wh.data' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'evil/sub/.wh.data',
  },
  {
    title: 'a whiteout removing through a lower layer symlink',
    options: lowerWithEscape,
    items: () => [{ name: 'evil/.wh.sub' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'evil/.wh.sub',
  },
  {
    title: 'an opaque marker inside a symlinked directory',
    before: layerWithEscape,
    items: () => [{ name: 'evil/.wh..wh..opq' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'evil/.wh..wh..opq',
  },
  { title: 'a whiteout named ".wh." (whiteout of "")', items: () => [{ name: 'dir/.wh.' }], code: ErrorCode.EUNSAFEARCHIVE, entry: 'dir/.wh.' },
  { title: 'a whiteout named ".wh.." (whiteout of ".")', items: () => [{ name: 'sub/.wh..' }], code: ErrorCode.EUNSAFEARCHIVE, entry: 'sub/.wh..' },
  { title: 'a whiteout named ".wh..." (whiteout of "..")', items: () => [{ name: 'sub/.wh...' }], code: ErrorCode.EUNSAFEARCHIVE, entry: 'sub/.wh...' },
  {
    title: 'a whiteout name used as a directory',
    items: () => [{ name: 'a/.wh.b/c', body: 'hidden by a reserved name' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'a/.wh.b/c',
  },
  {
    title: 'the root "." turned into a symlink',
    items: () => [{ name: './', type: 'symlink', linkname: '../canary' }, { name: 'secret.txt', body: 'pwned' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'entry "."',
  },
  {
    title: 'the root "/" turned into a symlink',
    items: (box) => [{ name: '/', type: 'symlink', linkname: box.canary }, { name: '/secret.txt', body: 'pwned' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'entry "."',
  },
  {
    title: 'the root turned into a hardlink',
    items: () => [{ name: 'f', body: 'x' }, { name: '.', type: 'link', linkname: 'f' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: '"."',
  },
  {
    title: 'extreme directory depth',
    items: () => [{ name: `${'d/'.repeat(MAX_DEPTH + 10)}leaf`, body: 'deep' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'd/d/d/',
  },
  {
    title: 'a path longer than PATH_MAX once extracted',
    items: () => [{ name: `${`${'n'.repeat(200)}/`.repeat(25)}leaf`, body: 'long' }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'nnnn',
  },
  {
    title: 'a device node where devices are not allowed',
    options: async () => ({ allowDevices: false }),
    items: () => [{ name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'dev/sda',
  },
  {
    title: 'driver bookkeeping xattrs (trusted.overlay.*) in the tar',
    items: () => [{ name: 'dir/', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'dir',
  },
  {
    title: 'union bookkeeping xattrs of an unprivileged overlay (user.overlay.*) in the tar',
    items: () => [{ name: 'f', body: 'x', pax: { 'SCHILY.xattr.user.overlay.redirect': '/etc' } }],
    code: ErrorCode.EUNSAFEARCHIVE,
    entry: 'user.overlay.redirect',
  },
  {
    title: 'a hardlink to a path that exists nowhere',
    items: (box) => [{ name: 'h', type: 'link', linkname: join(box.canary, 'secret.txt') }],
    code: ErrorCode.EBADARCHIVE,
    entry: '"h"',
  },
];

for (const c of cases) {
  test(`refused: ${c.title}`, async (t) => {
    const box = await sandbox(t);
    await c.before?.(box);
    const options = (await c.options?.(box)) ?? {};
    const canaryBefore = await hashTree(box.canary);
    await assertRefused(t, extract(box.layer, await packTar(c.items(box)), options), c.code, c.entry);
    t.is(await hashTree(box.canary), canaryBefore, 'canary unchanged');
  });
}

test('refused: a name that is not valid UTF-8 (GNU tar keeps its bytes), one line showing them, nothing written', async (t) => {
  const box = await sandbox(t);
  const tree = join(box.root, 'tree');
  await mkdir(join(tree, 'dir'), { recursive: true });
  await writeFile(join(tree, 'dir', 'before'), 'written first');
  await writeFile(Buffer.from(`${tree}/dir/caf\xe9`, 'latin1'), 'latin-1 name');
  const canaryBefore = await hashTree(box.canary);
  const tarBytes = gnuTar(tree, ['--sort=name', '-cf', '-', 'dir']);
  await assertRefused(t, extract(box.layer, tarBytes), ErrorCode.EBADARCHIVE, 'entry "dir/caf\\xe9": name is not valid UTF-8');
  t.deepEqual(await listTree(box.layer), ['dir/', 'dir/before'], 'no entry under another name (U+FFFD)');
  t.is(await hashTree(box.canary), canaryBefore, 'canary unchanged');
});

test('absolute names are stored inside the layer', async (t) => {
  const box = await sandbox(t);
  const before = await hashTree(box.canary);
  const target = join(box.canary, 'secret.txt');
  await extract(box.layer, await packTar([{ name: target, body: 'inside' }, { name: '/etc/passwd', body: 'root' }]));
  t.is(await readFile(join(box.layer, target), 'utf8'), 'inside');
  t.is(await readFile(join(box.layer, 'etc/passwd'), 'utf8'), 'root');
  t.is(await hashTree(box.canary), before);
});

test('a symlink pointing out is stored verbatim and never followed: owner, mode, mtime and replacement act on the link', async (t) => {
  const box = await sandbox(t);
  const before = await hashTree(box.canary);
  const secret = join(box.canary, 'secret.txt');
  await extract(
    box.layer,
    await packTar([
      { name: 'out', type: 'symlink', linkname: secret, mode: 0o777, uid: 4242, gid: 4242, pax: { 'SCHILY.xattr.user.x': 'y' } },
      { name: 'rel', type: 'symlink', linkname: '../canary/secret.txt' },
      { name: 'rel', body: 'replaces the link, not the target' },
      { name: 'dirlink', type: 'symlink', linkname: '../canary/sub' },
      { name: 'dirlink/', type: 'directory', mode: 0o700 },
      { name: 'h', type: 'link', linkname: 'out' },
    ]),
  );
  t.is(await readlink(join(box.layer, 'out')), secret);
  t.is(await readFile(join(box.layer, 'rel'), 'utf8'), 'replaces the link, not the target');
  t.true((await lstat(join(box.layer, 'dirlink'))).isDirectory());
  t.true((await lstat(join(box.layer, 'h'))).isSymbolicLink());
  t.is((await stat(secret)).mode & 0o7777, 0o600);
  t.is(await hashTree(box.canary), before);
});

test('whiteouts and opaque markers remove symlinks themselves, never their targets', async (t) => {
  const box = await sandbox(t);
  await symlink('../canary', join(box.layer, 'evil'));
  await mkdir(join(box.layer, 'dir'));
  await symlink('../../canary/sub', join(box.layer, 'dir/link'));
  await writeFile(join(box.layer, 'dir/file'), 'lower');
  const before = await hashTree(box.canary);
  await extract(box.layer, await packTar([{ name: '.wh.evil' }, { name: 'dir/.wh..wh..opq' }]));
  t.deepEqual(await listTree(box.layer), ['dir/']);
  t.is(await hashTree(box.canary), before);
});

test('device nodes are stored inside the layer when allowed', async (t) => {
  if (!runningAsRoot(t, 'creating device nodes')) return;
  const box = await sandbox(t);
  const before = await hashTree(box.canary);
  await extract(box.layer, await packTar([{ name: '/dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 }]), {
    allowDevices: true,
    whiteouts: deletingWhiteouts,
  });
  t.true((await lstat(join(box.layer, 'dev/sda'))).isBlockDevice());
  t.is(await hashTree(box.canary), before);
});

test('deep trees within the limits extract', async (t) => {
  const box = await sandbox(t);
  const name = `${'d/'.repeat(300)}leaf`;
  await extract(box.layer, await packTar([{ name, body: 'deep' }]));
  t.is(await readFile(join(box.layer, name), 'utf8'), 'deep');
});
