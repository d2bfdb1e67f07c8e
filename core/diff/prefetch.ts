/**
 * `fn` applied to each item, results yielded in input order, with at most
 * `window` calls in flight: lookups of the next siblings overlap with the work
 * on the current one (each lookup is a thread-pool round trip; awaited one by
 * one, a walk spends most of its time idle). Items are pulled from `items`
 * only as results are consumed, so memory stays bounded by `window`.
 * A failing call surfaces when its result is reached; calls already started
 * after a consumer stops simply finish unobserved.
 */
export async function* prefetch<T, R>(
  items: AsyncIterable<T> | Iterable<T>,
  fn: (item: T) => Promise<R>,
  window: number,
): AsyncGenerator<R> {
  const pending: Array<Promise<R>> = [];
  for await (const item of items) {
    const result = fn(item);
    result.catch(() => {}); // observed when reached; never an unhandled rejection meanwhile
    pending.push(result);
    if (pending.length >= window) yield await pending.shift()!;
  }
  while (pending.length > 0) yield await pending.shift()!;
}

/** How many lookups the diff keeps in flight: enough to keep libuv's 4 threads busy. */
export const LOOKAHEAD = 16;
