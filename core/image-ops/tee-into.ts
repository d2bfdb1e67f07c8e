import { PassThrough, type Readable } from 'node:stream';

/**
 * Feeds `body` to both consumers at once (the slower one sets the pace) and
 * returns the second one's result once both are done. A consumer that fails
 * stops taking bytes without stalling the other; the first failure is thrown.
 */
export async function teeInto<T>(body: Readable, first: (input: Readable) => Promise<unknown>, second: (input: Readable) => Promise<T>): Promise<T> {
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
  const [x, y] = await Promise.allSettled([one, two]);
  if (y.status === 'rejected') throw y.reason;
  if (x.status === 'rejected') throw x.reason;
  return y.value;
}
