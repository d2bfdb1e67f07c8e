import { createHash, type Hash } from 'node:crypto';
import { PassThrough, Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import type { Digest } from '../ids.js';
import type { TarSplitRecorder } from './tar-split-recorder.js';

/**
 * Hashes and counts the bytes as they pass, unchanged: placed on the raw
 * (possibly compressed) input, it gives the compressed digest and the progress.
 * Given the digest (`known`, verified by whoever produced the bytes), it
 * only counts.
 */
export class DigestTap extends Transform {
  readonly #hash: Hash | undefined;
  readonly #known: Digest | undefined;
  readonly #onProgress: ((bytes: number) => void) | undefined;
  #first: Buffer | undefined;
  bytes = 0;

  constructor(onProgress?: (bytes: number) => void, known?: Digest) {
    super();
    this.#onProgress = onProgress;
    this.#known = known;
    this.#hash = known === undefined ? createHash('sha256') : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.#first ??= chunk.subarray(0, 2);
    this.#hash?.update(chunk);
    this.bytes += chunk.length;
    this.#onProgress?.(this.bytes);
    callback(null, chunk);
  }

  /** The stream started with the gzip magic (1f 8b). Valid after the end. */
  get gzipped(): boolean {
    return this.#first !== undefined && this.#first[0] === 0x1f && this.#first[1] === 0x8b;
  }

  /** Valid once, after the end. */
  digest(): Digest {
    return this.#known ?? `sha256:${this.#hash!.digest('hex')}`;
  }
}

/**
 * The end of the import pipeline: takes the uncompressed tar, hashes it (diffID),
 * counts it, records its tar-split, and hands the same bytes on to the driver
 * through `driverInput`, honouring the driver's backpressure. Once the driver's
 * applyDiff has returned (`driverFinished`), remaining bytes — padding after the
 * end-of-archive blocks, which are part of the diffID — are still hashed and
 * recorded but no longer passed on.
 */
export class ImportSink extends Writable {
  readonly driverInput: Readable;
  readonly #toDriver = new PassThrough();
  readonly #recorder: TarSplitRecorder;
  readonly #hash: Hash = createHash('sha256');
  #driverDone = false;
  #wake: (() => void) | undefined;
  bytes = 0;

  constructor(recorder: TarSplitRecorder) {
    super();
    this.#recorder = recorder;
    this.driverInput = this.#toDriver;
    this.#toDriver.on('drain', () => this.#wakeUp());
    this.#toDriver.on('close', () => this.driverFinished());
    // The driver sees a failure through its reads; the driver may not be listening yet.
    this.#toDriver.on('error', () => undefined);
    // feed() reports every failure through its promises; the sink may be destroyed before its pipeline listens.
    this.on('error', () => undefined);
  }

  /** Stops passing bytes on to the driver. */
  driverFinished(): void {
    this.#driverDone = true;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#take(chunk).then(() => callback(), callback);
  }

  async #take(chunk: Buffer): Promise<void> {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    await this.#recorder.write(chunk);
    if (!this.#driverDone && !this.#toDriver.write(chunk) && !this.#driverDone) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.#toDriver.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // After a normal finish (autoDestroy) the driver may still be reading: leave it be.
    if (err !== null) this.#failDriverInput(err);
    else if (!this.writableFinished) this.#failDriverInput(new Error('import aborted'));
    this.#wakeUp();
    callback(err);
  }

  /**
   * Fails the driver's input. A consumer that attaches to an already destroyed
   * stream would wait forever, so while nobody reads yet the failure waits for
   * the first reader.
   */
  #failDriverInput(err: Error): void {
    const input = this.#toDriver;
    if (input.listenerCount('data') + input.listenerCount('readable') > 0) {
      input.destroy(err);
      return;
    }
    const onListener = (event: string | symbol): void => {
      if (event !== 'data' && event !== 'readable') return;
      input.off('newListener', onListener);
      setImmediate(() => input.destroy(err));
    };
    input.on('newListener', onListener);
  }

  /** The diffID. Valid once, after the end. */
  digest(): Digest {
    return `sha256:${this.#hash.digest('hex')}`;
  }
}
