/**
 * Memory check: import a 1 GiB layer (generated on the fly: 3 files of 256 MiB
 * and 16,384 files of 16 KiB) into a temporary vfs store, diff it to /dev/null,
 * and report the peak RSS. Exits 1 when the peak exceeds 200 MiB.
 *
 *     node dist/benchmarks/memory-1gib.js
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Store } from '../core/engine.js';
import { builtinDriverModules } from '../drivers/index.js';
import { generateLayerTar } from '../test/store/tar-generator.js';

const LIMIT_MIB = 200;
const MIB = 1024 * 1024;

const root = await mkdtemp(join(tmpdir(), 'strata-memory-'));
const peakMiB = (): number => process.resourceUsage().maxRSS / 1024;
try {
  const store = await Store.open({ config: { root, driver: 'vfs', plugins: [], driverOptions: {} }, driverModules: builtinDriverModules });
  const started = Date.now();
  const layer = await store.layers.importLayer(generateLayerTar({ bigFiles: 3, bigSize: 256 * MIB, smallFiles: 16_384, smallSize: 16 * 1024 }));
  const imported = Date.now();
  console.log(`import: ${(layer.size / MIB).toFixed(0)} MiB tar in ${((imported - started) / 1000).toFixed(1)} s, peak RSS ${peakMiB().toFixed(0)} MiB`);
  await pipeline(await store.layers.diff(layer.id), createWriteStream('/dev/null'));
  console.log(`diff:   to /dev/null in ${((Date.now() - imported) / 1000).toFixed(1)} s, peak RSS ${peakMiB().toFixed(0)} MiB`);
  await store.close();
} finally {
  await rm(root, { recursive: true, force: true });
}
const peak = peakMiB();
console.log(`peak RSS ${peak.toFixed(0)} MiB (limit ${LIMIT_MIB} MiB): ${peak <= LIMIT_MIB ? 'ok' : 'FAIL'}`);
if (peak > LIMIT_MIB) process.exitCode = 1;
