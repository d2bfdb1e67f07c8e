/**
 * The tar paths of core against GNU tar, on one generated tree.
 *
 * Generates (seeded, in /tmp) a tree of FILES small files (0–8 KiB, 100 per
 * directory, two directory levels) plus LARGE files of 16 MiB, then times,
 * warm (one untimed run first), the median of RUNS runs:
 *
 * - diff:    `naiveDiff(null, tree)` drained into a byte-counting sink
 *            vs `tar -c -C dir . | wc -c`;
 * - apply:   `extractLayer` of that tar into a fresh empty directory (it ends
 *            with a syncfs) vs `tar -xpf` + sync of what it wrote;
 * - read:    `readLayerTar` alone, every entry drained vs `tar -tf`.
 *
 *     node dist/benchmarks/tar-paths.js [runs] [files]
 *
 * Prints one table: milliseconds, microseconds per entry and strata/tar ratio.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DirectoryTree, deletingWhiteouts, extractLayer, naiveDiff, readLayerTar } from '../core/engine.js';
import { removeTree } from './cleanup.js';
import { contentChunks } from './data/content.js';
import { Rng } from './data/rng.js';
import { run } from './exec.js';
import { tarCreate, tarExtract } from './peers/tar-peer.js';
import { median, sampleFresh, sampleMs } from './stats.js';

const RUNS = Number(process.argv[2] ?? 5);
const FILES = Number(process.argv[3] ?? 20_000);
const PER_DIR = 100;
const SMALL_MAX = 8 * 1024;
const LARGE = 3;
const LARGE_BYTES = 16 << 20;

/** Writes the seeded tree under `dir`; resolves with its entry count (directories included, root not). */
async function generateTree(dir: string): Promise<number> {
  const rng = new Rng(0x7a25);
  let entries = 0;
  const dirs = Math.ceil(FILES / PER_DIR);
  for (let d = 0; d < dirs; d++) {
    const sub = join(dir, `d${d % 20}`, `s${d}`);
    await mkdir(sub, { recursive: true });
    entries += d < 20 ? 2 : 1;
    for (let f = 0; f < PER_DIR && d * PER_DIR + f < FILES; f++) {
      const seed = d * PER_DIR + f;
      await writeFile(join(sub, `file-${f}.txt`), Buffer.concat([...contentChunks(seed, rng.int(0, SMALL_MAX))]));
      entries++;
    }
  }
  for (let i = 0; i < LARGE; i++) {
    await pipeline(contentChunks(1_000_000 + i, LARGE_BYTES), createWriteStream(join(dir, `large-${i}.bin`)));
    entries++;
  }
  return entries;
}

/** A sink that counts bytes. */
function counter(): { sink: Writable; bytes: () => number } {
  let n = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      n += chunk.length;
      done();
    },
  });
  return { sink, bytes: () => n };
}

async function strataDiff(dir: string): Promise<number> {
  const { sink, bytes } = counter();
  await pipeline(naiveDiff(null, new DirectoryTree(dir)), sink);
  return bytes();
}

async function strataRead(tarFile: string): Promise<number> {
  let n = 0;
  for await (const { body } of readLayerTar(createReadStream(tarFile))) {
    for await (const _chunk of body) void _chunk;
    n++;
  }
  return n;
}

interface Row {
  readonly what: string;
  readonly strata: number;
  readonly tar: number;
  readonly peer: string;
}

function table(rows: readonly Row[], entries: number): string {
  const lines = ['| path | strata ms | µs/entry | GNU tar ms | peer | ratio |', '| --- | ---: | ---: | ---: | --- | ---: |'];
  for (const r of rows) {
    const perEntry = (r.strata * 1000) / entries;
    lines.push(`| ${r.what} | ${r.strata.toFixed(0)} | ${perEntry.toFixed(1)} | ${r.tar.toFixed(0)} | ${r.peer} | ${(r.strata / r.tar).toFixed(2)}× |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'strata-tar-paths-'));
  try {
    const tree = join(work, 'tree');
    await mkdir(tree);
    const entries = await generateTree(tree);
    const tarFile = join(work, 'layer.tar');
    await pipeline(naiveDiff(null, new DirectoryTree(tree)), createWriteStream(tarFile));
    const fresh = (name: string) => async (i: number) => {
      const target = join(work, `${name}-${i}`);
      await mkdir(target);
      return target;
    };
    const rows: Row[] = [];

    const diffBytes = await strataDiff(tree);
    const peerBytes = (await tarCreate(tree)).bytes;
    const diffMs = median(await sampleMs(RUNS, () => strataDiff(tree), 1));
    const tarCMs = median(await sampleMs(RUNS, () => tarCreate(tree), 1));
    rows.push({ what: 'diff (naiveDiff → count)', strata: diffMs, tar: tarCMs, peer: 'tar -c | wc -c' });

    const apply = () => sampleFresh(RUNS + 1, fresh('apply'), (d) => extractLayer(d, createReadStream(tarFile), { whiteouts: deletingWhiteouts }), removeTree);
    const applyMs = median((await apply()).slice(1));
    const tarXMs = median((await sampleFresh(RUNS + 1, fresh('tar-x'), async (d) => tarExtract(tarFile, d), removeTree)).slice(1));
    rows.push({ what: 'apply (extractLayer)', strata: applyMs, tar: tarXMs, peer: 'tar -xpf + sync' });

    const readMs = median(await sampleMs(RUNS, () => strataRead(tarFile), 1));
    const tarTMs = median(await sampleMs(RUNS, () => run('bash', ['-c', 'tar -tf "$1" > /dev/null', 'tar-t', tarFile]), 1));
    rows.push({ what: 'read (readLayerTar, drain)', strata: readMs, tar: tarTMs, peer: 'tar -tf' });

    console.log(`tree: ${entries} entries (${FILES} small files, ${LARGE} × ${LARGE_BYTES >> 20} MiB); strata tar ${diffBytes} bytes, GNU tar ${peerBytes} bytes; median of ${RUNS}, warm`);
    console.log(table(rows, entries));
  } finally {
    await removeTree(work);
  }
}

await main();
