import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ErrorCode, StrataError, errnoOf } from './errors.js';
import { MNT_DETACH, sys } from './sys/index.js';

const run = promisify(execFile);

/**
 * Bind-mounts directory `source` on `target` (created if missing); with
 * `readOnly` the bind is remounted read-only, so every write through `target`
 * fails with EROFS while `source` stays writable for the driver itself.
 * Needs CAP_SYS_ADMIN (root): fails with EDRIVERUNAVAILABLE carrying mount's reason.
 */
export async function bindMount(source: string, target: string, readOnly: boolean): Promise<void> {
  await mkdir(target, { recursive: true, mode: 0o755 });
  await mountCommand(['--bind', source, target]);
  if (!readOnly) return;
  try {
    await mountCommand(['-o', 'remount,bind,ro', target]);
  } catch (err) {
    await unmountPath(target);
    throw err;
  }
}

/**
 * Unmounts target (lazily where it is busy); a target that is not mounted is a
 * no-op. Answers whether something was mounted there (and is unmounted now).
 */
export async function unmountPath(target: string): Promise<boolean> {
  if (!(await isMounted(target))) return false;
  try {
    sys.umount2(target, 0);
  } catch (err) {
    if (errnoOf(err) !== 'EBUSY') {
      throw new StrataError(ErrorCode.EIO, `cannot unmount ${target}: ${errnoOf(err) ?? String(err)}`, { cause: err });
    }
    sys.umount2(target, MNT_DETACH);
  }
  return true;
}

/** Is something mounted exactly on the absolute path `target` (per /proc/self/mountinfo)? */
export async function isMounted(target: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => unescapeMountPath(line.split(' ')[4] ?? '') === target);
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

async function mountCommand(args: string[]): Promise<void> {
  try {
    await run('mount', args);
  } catch (err) {
    const detail = String((err as { stderr?: unknown }).stderr ?? '').trim() || (err as Error).message;
    throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `mount ${args.join(' ')} failed: ${detail}`, { cause: err });
  }
}
