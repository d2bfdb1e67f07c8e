import type { ExecutionContext } from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Store, type StrataConfig } from '../../core/engine.js';
import { builtinDriverModules } from '../../drivers/index.js';

/** The driver the store tests run on (vfs: every registered system has it). */
export const TEST_DRIVER = process.env.STRATA_STORE_TEST_DRIVER ?? 'vfs';

/** A fresh directory under the system temp dir, removed when the test ends. */
export async function tempDir(t: ExecutionContext, label = 'strata-store-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), label));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function configFor(root: string): StrataConfig {
  return { root, driver: TEST_DRIVER, plugins: [], driverOptions: {} };
}

export function openStore(root: string, lockTimeoutMs?: number): Promise<Store> {
  return Store.open({ config: configFor(root), driverModules: builtinDriverModules, ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }) });
}

/** A store on a fresh root, closed when the test ends. */
export async function freshStore(t: ExecutionContext): Promise<{ store: Store; root: string }> {
  const root = await tempDir(t);
  const store = await openStore(root);
  t.teardown(() => store.close());
  return { store, root };
}

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
