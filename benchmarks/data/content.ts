import { Rng } from './rng.js';

const POOL_BYTES = 1 << 20;
const CHUNK_BYTES = 64 * 1024;
let pool: Buffer | undefined;

/** 1 MiB of seeded pseudo-random bytes, made once per process. */
function contentPool(): Buffer {
  if (pool === undefined) {
    const rng = new Rng(0x5eed);
    pool = Buffer.alloc(POOL_BYTES);
    for (let i = 0; i < POOL_BYTES; i += 4) pool.writeUInt32LE(Math.floor(rng.next() * 4294967296), i);
  }
  return pool;
}

/**
 * The content of a generated file: `size` bytes determined by `seed`, in chunks
 * of at most 64 KiB (bounded memory for any size). Different seeds start at
 * different offsets of a shared random pool, so files do not share content
 * (a content-addressed driver gets no unfair deduplication).
 */
export function* contentChunks(seed: number, size: number): Generator<Buffer> {
  const data = contentPool();
  let offset = (Math.imul(seed >>> 0, 40503) >>> 0) % (POOL_BYTES - CHUNK_BYTES);
  let left = size;
  while (left > 0) {
    const n = Math.min(left, CHUNK_BYTES);
    yield data.subarray(offset, offset + n);
    left -= n;
    offset = (offset + 7919) % (POOL_BYTES - CHUNK_BYTES);
  }
}
