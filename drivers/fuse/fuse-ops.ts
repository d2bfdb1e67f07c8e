import type { FuseOps } from 'fuse-native';
import { currentCaller } from './caller.js';
import { fsError, isErrnoAnswer, negativeErrno } from './errno.js';
import { opensForWrite, readOps } from './ops-read.js';
import { PathFds } from './path-fds.js';
import { renameOps } from './ops-rename.js';
import { writeOps } from './ops-write.js';
import type { UnionFs } from './union-fs.js';

/** Where a handler's unexpected failures (bugs, not errno answers) are reported. */
export type FaultLog = (op: string, path: string, err: unknown) => void;

type Reply = (result: number, value?: unknown) => void;
type AsyncOp = (...args: never[]) => Promise<unknown>;

/** Operations that make a node: they take the caller (`currentCaller`) as one more, last argument. */
const MAKES_NODE = new Set(['create', 'mkdir', 'mknod', 'symlink']);
/**
 * Operations that work through a file handle, so also on a file removed
 * while open: libfuse (nullpath_ok, with the mount's `hard_remove`) calls
 * them with a NULL path for such a file, which arrives as ''
 * (scripts/patch-fuse-native.mjs). Any other operation called with '' (a
 * change of attributes through such a handle, fchmod) answers ENOENT, never
 * acting on some path.
 */
const UNNAMED_OK = new Set(['fgetattr', 'read', 'write', 'ftruncate', 'flush', 'release', 'fsync']);

/**
 * The fuse-native handler table for a union: every operation is an async
 * function whose result goes back in the callback, and whose failure —
 * thrown or rejected — answers a negative errno for that call only
 * (`negativeErrno`: EIO for anything not an errno). The mount stays up.
 * `read`/`write` answer their byte count in the first callback argument,
 * as fuse-native expects. Operations that make a node get the calling
 * process (uid, gid, pid, umask) as a last argument, read while the binding
 * still dispatches the call.
 */
export function fuseOps(u: UnionFs, log: FaultLog): FuseOps {
  const r = readOps(u);
  const w = writeOps(u);
  const ops: Record<string, AsyncOp> = {
    ...r,
    ...w,
    ...renameOps(u),
    open: (path: string, flags: number) => (opensForWrite(flags) ? w.openForWrite(path, flags) : r.openForRead(path)),
  };
  if (!u.writable) {
    // Nothing to copy up. ENOSYS to the first open tells the kernel (no_open) to send no
    // more opens, nor releases, for this mount: it keeps file pages across opens, so a
    // warm read never leaves the kernel. Reads come with handle 0 and find their
    // descriptor by path.
    const fds = new PathFds();
    ops.open = () => Promise.reject(fsError('ENOSYS'));
    delete ops.release;
    ops.read = async (path: string, _fd: number, buf: Buffer, len: number, pos: number) =>
      fds.with((await u.locate(path)).fsPath, (fd) => r.read(path, fd, buf, len, pos));
  }
  const table: Record<string, (...args: unknown[]) => void> = {};
  for (const [name, fn] of Object.entries(ops)) {
    if (name === 'openForRead' || name === 'openForWrite') continue;
    const countsBytes = name === 'read' || name === 'write';
    table[name] = (...args: unknown[]) => {
      const reply = args.pop() as Reply;
      if (args[0] === '' && !UNNAMED_OK.has(name)) return reply(negativeErrno(fsError('ENOENT')));
      if (MAKES_NODE.has(name)) args.push(currentCaller());
      const fail = (err: unknown) => {
        if (!isErrnoAnswer(err)) log(name, String(args[0]), err);
        reply(negativeErrno(err));
      };
      try {
        (fn as (...a: unknown[]) => Promise<unknown>)(...args).then(
          (value) => (countsBytes ? reply(value as number) : reply(0, value)),
          fail,
        );
      } catch (err) {
        fail(err);
      }
    };
  }
  return table as FuseOps;
}
