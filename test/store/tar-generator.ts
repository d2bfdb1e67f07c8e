import { Readable } from 'node:stream';
import { once } from 'node:events';
import tar from 'tar-stream';

/** What `generateLayerTar` writes. Content is deterministic: the same spec gives the same bytes. */
export interface GeneratedLayerSpec {
  /** Files of `bigSize` bytes each, at big/<n>.bin. */
  readonly bigFiles: number;
  readonly bigSize: number;
  /** Files of `smallSize` bytes each, at small/<n/1000>/<n>.txt. */
  readonly smallFiles: number;
  readonly smallSize: number;
  /** Varies the content, so different seeds give different layers. */
  readonly seed?: number;
}

const CHUNK = 64 * 1024;
const MTIME = new Date(1_700_000_000_000);

/** Base names of every file a generated layer holds (to look for leftovers on disk). */
export function fileNamesOf(spec: GeneratedLayerSpec): string[] {
  const names: string[] = [];
  for (let i = 0; i < spec.bigFiles; i++) names.push(`big-${i}.bin`);
  for (let i = 0; i < spec.smallFiles; i++) names.push(`small-${i}.txt`);
  return names;
}

/**
 * An uncompressed layer tar generated on the fly in bounded memory (one 64 KiB
 * chunk at a time), for crash, concurrency and memory tests of any size.
 */
export function generateLayerTar(spec: GeneratedLayerSpec): Readable {
  const pack = tar.pack();
  const seed = spec.seed ?? 0;
  const chunk = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) chunk[i] = (i * 31 + seed) & 0xff;
  const file = async (name: string, size: number, index: number): Promise<void> => {
    const entry = pack.entry({ name, size, mode: 0o644, mtime: MTIME, uid: 0, gid: 0 });
    for (let written = 0; written < size; written += CHUNK) {
      const piece = chunk.subarray(0, Math.min(CHUNK, size - written));
      piece.writeUInt32BE(index, 0);
      if (!entry.write(Buffer.from(piece))) await once(entry, 'drain');
    }
    entry.end(Buffer.alloc(0));
    await once(entry, 'finish');
  };
  void (async () => {
    pack.entry({ name: 'big', type: 'directory', mode: 0o755, mtime: MTIME });
    for (let i = 0; i < spec.bigFiles; i++) await file(`big/big-${i}.bin`, spec.bigSize, i);
    if (spec.smallFiles > 0) pack.entry({ name: 'small', type: 'directory', mode: 0o755, mtime: MTIME });
    for (let i = 0; i < spec.smallFiles; i++) {
      if (i % 1000 === 0) pack.entry({ name: `small/${i / 1000}`, type: 'directory', mode: 0o755, mtime: MTIME });
      await file(`small/${Math.floor(i / 1000)}/small-${i}.txt`, spec.smallSize, spec.bigFiles + i);
    }
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}
