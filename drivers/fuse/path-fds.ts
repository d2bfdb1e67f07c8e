import { close, constants } from 'node:fs';
import { openFd } from './ops-read.js';

/**
 * Read-only descriptors of backing files, kept by path, for a mount that
 * never changes (a read-only union): its reads come without an open (its
 * first open answers ENOSYS, after which the kernel sends none, sparing a
 * round trip per open), so `read` finds the descriptor here. At most
 * `limit` stay open; the least recently used is closed first (a read in
 * flight on it keeps its own reference until it ends). Fails with the errno
 * of open(2).
 */
export class PathFds {
  readonly #fds = new Map<string, { fd: number; users: number; dropped: boolean }>();
  readonly #limit: number;

  constructor(limit = 256) {
    this.#limit = limit;
  }

  /** Runs use with a read-only descriptor of fsPath. */
  async with<T>(fsPath: string, use: (fd: number) => Promise<T>): Promise<T> {
    let entry = this.#fds.get(fsPath);
    if (entry === undefined) {
      const fd = await openFd(fsPath, constants.O_RDONLY | constants.O_NOFOLLOW);
      entry = this.#fds.get(fsPath); // another read may have opened it meanwhile
      if (entry === undefined) {
        entry = { fd, users: 0, dropped: false };
        this.#fds.set(fsPath, entry);
        this.#evict();
      } else {
        close(fd, () => undefined);
      }
    } else {
      this.#fds.delete(fsPath); // most recently used goes last
      this.#fds.set(fsPath, entry);
    }
    entry.users++;
    try {
      return await use(entry.fd);
    } finally {
      entry.users--;
      if (entry.dropped && entry.users === 0) close(entry.fd, () => undefined);
    }
  }

  #evict(): void {
    for (const [path, entry] of this.#fds) {
      if (this.#fds.size <= this.#limit) return;
      this.#fds.delete(path);
      entry.dropped = true;
      if (entry.users === 0) close(entry.fd, () => undefined);
    }
  }
}
