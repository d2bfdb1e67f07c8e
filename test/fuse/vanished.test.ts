import test from 'ava';
import { constants } from 'node:os';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeWhiteout } from '../../core/union/whiteout-format.js';
import { fuseOps } from '../../drivers/fuse/fuse-ops.js';
import { UnionFs } from '../../drivers/fuse/union-fs.js';

// A name removed while another process walks the tree (`rm -rf` beside
// `find`): the removal replaces the top layer's copy with a whiteout while a
// getattr that already located it is about to lstat it. The getattr must
// answer ENOENT, as for a name already gone; it answered the whiteout's
// char-device attributes, for which the kernel marks the inode it knew as a
// file or directory bad and answers EIO ("find: Input/output error").

function getattr(ops: object, path: string): Promise<{ result: number; value?: { mode: number } }> {
  return new Promise((resolve) => {
    (ops as Record<string, (...a: unknown[]) => void>)['getattr']!(path, (result: number, value?: { mode: number }) => resolve({ result, value }));
  });
}

test('a name whose top-layer copy turns into a whiteout between lookup and lstat answers ENOENT, not a char device', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-fuse-vanished-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const sub of ['upper', 'lower', 'work', 'upper/d', 'lower/d']) await mkdir(join(dir, sub));
  for (const layer of ['upper', 'lower']) await writeFile(join(dir, layer, 'f'), `${layer} f`);
  const u = new UnionFs({ layers: [join(dir, 'upper'), join(dir, 'lower')], writable: true, workDir: join(dir, 'work'), opaqueXattr: 'user.overlay.opaque', privileged: false });
  const ops = fuseOps(u, (op, path, err) => t.fail(`${op} ${path}: ${String(err)}`));
  t.is((await getattr(ops, '/f')).result, 0);
  t.is((await getattr(ops, '/d')).result, 0);

  // The removal lands right after the lookup: the index still holds the name, the top layer a whiteout.
  const locate = u.locate.bind(u);
  u.locate = async (path: string) => {
    const at = await locate(path);
    const fsPath = join(dir, 'upper', path);
    await (path === '/d' ? rm(fsPath, { recursive: true }) : unlink(fsPath));
    makeWhiteout(fsPath);
    return at;
  };
  for (const path of ['/f', '/d']) {
    const answer = await getattr(ops, path);
    t.is(answer.result, -constants.errno.ENOENT, `${path}: ${answer.value?.mode.toString(8)}`);
  }
  u.locate = locate;
  t.is((await getattr(ops, '/f')).result, -constants.errno.ENOENT, 'and once the index sees the whiteout');
});
