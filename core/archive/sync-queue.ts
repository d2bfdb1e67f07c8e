/**
 * Runs flush jobs (fsync + close of a finished file) in the background, at most
 * `limit` at a time, so extraction of the next entry overlaps the disk wait.
 * `drain()` waits for all and fails with the first job's error.
 */
export class SyncQueue {
  readonly #limit: number;
  readonly #pending = new Set<Promise<void>>();
  #error: unknown;
  #failed = false;

  constructor(limit = 8) {
    this.#limit = limit;
  }

  /** Queues a job; waits first while `limit` jobs are pending. Rethrows an earlier job's error. */
  async add(job: () => Promise<void>): Promise<void> {
    while (this.#pending.size >= this.#limit) await Promise.race(this.#pending);
    this.#throwIfFailed();
    const promise: Promise<void> = job()
      .catch((err: unknown) => {
        if (!this.#failed) {
          this.#failed = true;
          this.#error = err;
        }
      })
      .finally(() => this.#pending.delete(promise));
    this.#pending.add(promise);
  }

  /** Waits for every queued job; fails with the first error any of them had. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failed) throw this.#error;
  }
}
