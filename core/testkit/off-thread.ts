import { Worker } from 'node:worker_threads';
import type { SysCalls } from './ops.js';
import type { Snapshot } from './snapshot.js';

type Call =
  | { call: 'snapshot'; path: string }
  | { call: 'lsetxattr'; path: string; name: string; value: Uint8Array }
  | { call: 'mknod'; path: string; mode: number; major: number; minor: number };

export type OffThreadRequest = { id: number } & Call;

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

/**
 * Blocking calls (snapshots with sync fs, xattrs and mknod from the native addon)
 * on a mount, run in a worker thread: the main event loop stays free to serve a
 * FUSE mount living in this same process (a sync call there would deadlock).
 */
export class OffThread implements SysCalls {
  #worker: Worker | undefined;
  #next = 0;
  readonly #pending = new Map<number, Pending>();

  snapshot(path: string): Promise<Snapshot> {
    return this.#call({ call: 'snapshot', path }) as Promise<Snapshot>;
  }

  async lsetxattr(path: string, name: string, value: Buffer): Promise<void> {
    await this.#call({ call: 'lsetxattr', path, name, value });
  }

  async mknod(path: string, mode: number, major: number, minor: number): Promise<void> {
    await this.#call({ call: 'mknod', path, mode, major, minor });
  }

  async close(): Promise<void> {
    await this.#worker?.terminate();
    this.#worker = undefined;
  }

  #call(req: Call): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#start().postMessage({ ...req, id });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./off-thread-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (msg: { id: number; result?: unknown; error?: { message: string; code?: string } }) => {
      const p = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if (msg.error) p?.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
      else p?.resolve(msg.result);
    });
    worker.on('error', (err) => {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    });
    return (this.#worker = worker);
  }
}
