import test from 'ava';
import { prefetch } from '../../core/diff/prefetch.js';
import { collect } from './trees.js';

test('results come in input order with at most `window` calls in flight', async (t) => {
  let inFlight = 0;
  let most = 0;
  const slowFirst = async (n: number): Promise<number> => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    if (n % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    return n * 10;
  };
  const input = Array.from({ length: 50 }, (_, i) => i);
  t.deepEqual(await collect(prefetch(input, slowFirst, 4)), input.map((n) => n * 10));
  t.is(most, 4);
});

test('a failing call surfaces when its result is reached, not as an unhandled rejection', async (t) => {
  const seen: number[] = [];
  const gen = prefetch([1, 2, 3, 4], async (n) => {
    if (n === 2) throw new Error('two');
    return n;
  }, 4);
  const err = await t.throwsAsync(
    (async () => {
      for await (const n of gen) seen.push(n);
    })(),
  );
  t.is(err?.message, 'two');
  t.deepEqual(seen, [1]);
});
