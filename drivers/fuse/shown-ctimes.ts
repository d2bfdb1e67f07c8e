/**
 * The status-change times a mount keeps showing for entries whose backing
 * copy changed without the entry changing in the union: a copy-up (the copy
 * is a new inode with a new ctime) and the parent directory a copy-up renames
 * into (its ctime moves when the child lands and its times are put back).
 * The kernel caches attributes and cannot know of those changes; if getattr
 * answered the new ctime, two stats of one directory would disagree (tar's
 * "file changed as we read it", rsync and git seeing changes nobody made).
 *
 * So the first time an entry's backing ctime moves behind the kernel, the
 * ctime shown until then is pinned; an operation that changes the entry in
 * the union (the kernel then drops or replaces its cached attributes) unpins
 * it, and the backing ctime — later than the pinned one — shows from then on.
 * Keys are union paths; times are milliseconds as getattr answers them.
 */
export class ShownCtimes {
  readonly #pinned = new Map<string, number>();

  /** The ctime to show for path, whose backing entry's ctime is ctimeMs. */
  shown(path: string, ctimeMs: number): number {
    return this.#pinned.get(path) ?? ctimeMs;
  }

  /** Keeps showing ctimeMs for path (what the union showed before its backing entry changed); a pin already there stays. */
  pin(path: string, ctimeMs: number): void {
    if (!this.#pinned.has(path)) this.#pinned.set(path, ctimeMs);
  }

  /** The union's entries at paths changed (as the kernel sees): show their backing ctimes. */
  changed(...paths: string[]): void {
    for (const path of paths) this.#pinned.delete(path);
  }

  /** path and everything under it left the union. */
  gone(path: string): void {
    if (this.#pinned.size === 0) return;
    for (const key of this.#pinned.keys()) if (isAtOrUnder(key, path)) this.#pinned.delete(key);
  }

  /** A rename: pins under from move to to (the kernel keeps those inodes' cached attributes). */
  moved(from: string, to: string): void {
    if (this.#pinned.size === 0) return;
    const moving = [...this.#pinned].filter(([key]) => isAtOrUnder(key, from));
    for (const [key] of moving) this.#pinned.delete(key);
    for (const [key, ms] of moving) this.#pinned.set(to + key.slice(from.length), ms);
  }
}

function isAtOrUnder(key: string, path: string): boolean {
  return key === path || key.startsWith(path === '/' ? '/' : `${path}/`);
}
