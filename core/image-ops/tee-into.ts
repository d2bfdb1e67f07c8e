import { PassThrough, type Readable } from 'node:stream';

/**
 * Feeds `body` to both consumers at once (the slower one sets the pace while
 * both read) and returns both results as promises, the first one's settled
 * handled (so a caller may await it later without an unhandled rejection). A
 * consumer that fails stops taking bytes without stalling the other.
 */
export function teeInto<A, B>(body: Readable, first: (input: Readable) => Promise<A>, second: (input: Readable) => Promise<B>): [Promise<A>, Promise<B>] {
  const a = new PassThrough({ highWaterMark: 1024 * 1024 });
  const b = new PassThrough({ highWaterMark: 1024 * 1024 });
  body.once('error', (err) => {
    a.destroy(err);
    b.destroy(err);
  });
  body.pipe(a);
  body.pipe(b);
  const one = first(a);
  const two = second(b);
  one.catch(() => a.destroy());
  two.catch(() => b.destroy());
  return [one, two];
}

/** Both consumers of `teeInto` done; the second one's result. Throws the second's failure first, then the first's. */
export async function teeBoth<A, B>(body: Readable, first: (input: Readable) => Promise<A>, second: (input: Readable) => Promise<B>): Promise<B> {
  const [one, two] = teeInto(body, first, second);
  const [x, y] = await Promise.allSettled([one, two]);
  if (y.status === 'rejected') throw y.reason;
  if (x.status === 'rejected') throw x.reason;
  return y.value;
}
