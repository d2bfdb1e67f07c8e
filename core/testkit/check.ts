import type { Readable } from 'node:stream';
import type { ExecutionContext } from 'ava';
import type { DriverCapabilities } from '../driver.js';
import { isStrataError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { ChainStep, Harness } from './harness.js';

/** One conformance check: a scenario run in a fresh harness. */
export interface Check {
  readonly title: string;
  /** Prerequisites beyond a driver whose probe is ok. */
  readonly needs?: {
    /** Layers must be mountable (capability and system). */
    readonly mount?: boolean;
    /** The suite must run as root (owners, device nodes, bind mounts). */
    readonly root?: boolean;
    /** Returns why the driver's capabilities make the check not apply, or undefined. */
    readonly capability?: (caps: DriverCapabilities) => string | undefined;
  };
  run(h: Harness, t: ExecutionContext): Promise<void>;
}

/** A check that is only a stack of steps, each layer compared with the oracle. */
export function chainCheck(title: string, steps: readonly ChainStep[], needs?: Check['needs']): Check {
  return {
    title,
    ...(needs === undefined ? {} : { needs }),
    async run(h, t) {
      await h.chain(t, steps);
    },
  };
}

/** Asserts that promise fails with a StrataError of code. */
export async function rejectsWith(t: ExecutionContext, promise: Promise<unknown>, code: ErrorCode, what: string): Promise<void> {
  const err = await t.throwsAsync(promise, undefined, `${what} fails`);
  t.true(isStrataError(err, code), `${what} fails with ${code} (got ${(err as { code?: string } | undefined)?.code}: ${err?.message})`);
}

export async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export async function textOf(stream: Readable | Promise<Readable>): Promise<string> {
  return (await bytesOf(await stream)).toString('utf8');
}

/** How deep a stack of `wanted` layers the driver allows. */
export function depthFor(caps: DriverCapabilities, wanted: number): number {
  return Math.min(wanted, caps.maxDepth);
}
