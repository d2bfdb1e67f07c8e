/**
 * Native against naive diff of the overlay driver, on the same layer.
 *
 * For bases of 2,000 and 20,000 entries (benchmarks/data's distro-like tree)
 * and one upper layer of 200 changes (rewrites, adds, deletions, chmods,
 * replaced directories), times `driver.diff(upper, base)` — the native diff,
 * which walks only the upper directory — against core's `naiveDiff` over the
 * same two unions, which walks both trees. Each tar is drained to the end;
 * runs are warm (one untimed run first), and the median of RUNS is reported.
 * Both tars are checked to be the same bytes.
 *
 *     node dist/benchmarks/native-vs-naive-diff.js [runs]
 *
 * Native should stay flat as the base grows tenfold; naive grows with it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { naiveDiff, wrapDriver } from '../core/engine.js';
import { OverlayDriver } from '../drivers/overlay/index.js';
import { removeTree } from './cleanup.js';
import { run } from './exec.js';
import { generateBaseTree } from './data/base-tree.js';
import { generateChangeSet } from './data/change-set.js';
import { packItems } from './data/tar-pack.js';
import { median, timeMs } from './stats.js';

const BASES = [2_000, 20_000];
const CHANGES = 200;
const RUNS = Number(process.argv[2] ?? 7);

async function digestOf(tar: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of tar) hash.update(chunk as Buffer);
  return hash.digest('hex');
}


interface Row {
  readonly base: number;
  readonly native: number;
  readonly naive: number;
}

async function measure(entries: number): Promise<Row> {
  const work = await mkdtemp(join(tmpdir(), 'strata-bench-diff-'));
  try {
    const driver = wrapDriver((c) => new OverlayDriver(c), join(work, 'home'));
    await driver.init();
    const base = generateBaseTree(entries, 1);
    const upper = generateChangeSet(base, CHANGES, 2);
    await driver.create('base', null, { writable: false });
    await driver.applyDiff('base', null, Readable.from(packItems(base.items)));
    await driver.create('upper', 'base', { writable: false });
    await driver.applyDiff('upper', 'base', Readable.from(packItems(upper.items)));

    await run('sync', []); // let writeback of the fresh layers settle before timing
    const native = () => driver.diff('upper', 'base').then(digestOf);
    const naive = async () => digestOf(naiveDiff(await driver.reader('base'), await driver.reader('upper')));
    const [a, b] = [await native(), await naive()];
    if (a !== b) throw new Error(`native and naive diffs differ on a base of ${entries}: ${a} vs ${b}`);
    const nativeMs: number[] = [];
    const naiveMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      nativeMs.push(await timeMs(native));
      naiveMs.push(await timeMs(naive));
    }
    return { base: entries, native: median(nativeMs), naive: median(naiveMs) };
  } finally {
    await removeTree(work);
  }
}

const rows: Row[] = [];
for (const entries of BASES) rows.push(await measure(entries));
console.log(`native vs naive diff, overlay driver, upper of ${CHANGES} changes, median of ${RUNS} warm runs`);
console.log('| base entries | native ms | naive ms | naive / native |');
console.log('| ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.base} | ${r.native.toFixed(1)} | ${r.naive.toFixed(1)} | ${(r.naive / r.native).toFixed(1)}× |`);
const [small, large] = [rows[0]!, rows[rows.length - 1]!];
console.log(`base ${small.base} → ${large.base}: native ×${(large.native / small.native).toFixed(2)}, naive ×${(large.naive / small.naive).toFixed(2)}`);
