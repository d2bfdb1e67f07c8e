import { parentPort } from 'node:worker_threads';
import { sys } from '../sys/index.js';
import { snapshotDir } from './snapshot.js';
import type { OffThreadRequest } from './off-thread.js';

/** Runs the suite's blocking calls (see off-thread.ts) away from the main event loop. */
parentPort!.on('message', (req: OffThreadRequest) => {
  try {
    let result: unknown;
    if (req.call === 'snapshot') result = snapshotDir(req.path);
    else if (req.call === 'lsetxattr') sys.lsetxattr(req.path, req.name, Buffer.from(req.value));
    else sys.mknod(req.path, req.mode, req.major, req.minor);
    parentPort!.postMessage({ id: req.id, result });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: { message: (err as Error).message, code: (err as { code?: unknown }).code } });
  }
});
