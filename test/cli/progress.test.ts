import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import { ProgressMeter } from '../../cli/progress.js';

/** Pushes `chunks` through a meter into a collector; returns the bytes that came out. */
async function pump(meter: ProgressMeter, chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    meter,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(out);
}

test('on a terminal the meter draws bytes, percentage and rate, then clears its line; data passes unchanged', async (t) => {
  const drawn: string[] = [];
  const meter = new ProgressMeter('import', 3 * 1024 * 1024, { isTTY: true, write: (s: string) => drawn.push(s) });
  const chunks = [Buffer.alloc(1024 * 1024, 1), Buffer.alloc(1024 * 1024, 2), Buffer.alloc(1024 * 1024, 3)];
  const out = await pump(meter, chunks);
  t.deepEqual(out, Buffer.concat(chunks));
  t.is(meter.bytes, 3 * 1024 * 1024);
  t.true(drawn.length >= 2, 'at least one status line and the final clear');
  t.regex(drawn[0]!, /^\r\x1b\[Kimport {2}1\.0 MiB \/ 3\.0 MiB {2}33% {2}\S+ \S+\/s$/);
  t.is(drawn.at(-1), '\r\x1b[K', 'the line is cleared at the end');
});

test('when stderr is not a terminal the meter prints nothing', async (t) => {
  const drawn: string[] = [];
  const meter = new ProgressMeter('diff', undefined, { isTTY: false, write: (s: string) => drawn.push(s) });
  const out = await pump(meter, [Buffer.from('abc'), Buffer.from('def')]);
  t.is(out.toString(), 'abcdef');
  t.deepEqual(drawn, []);
});
