import type { Writable } from 'node:stream';

/**
 * Ends the command's process with `status` as soon as its output is out,
 * without Node's teardown. That teardown first waits for V8 to finish
 * optimising functions that will never run again: after a layer diff, the
 * walk's generator takes V8 about 20 ms to compile on the other core, and
 * the process waits for it. Then it frees a heap the kernel frees anyway.
 *
 * What still happens, in this order: stdout and stderr write all they hold,
 * then the 'exit' listeners run (the launcher writes its code cache there),
 * then `_exit(2)`. The command has awaited all its own work by then: nothing
 * it started is cut short.
 *
 * Where a tool needs Node's own exit — V8 coverage (NODE_V8_COVERAGE), CPU
 * or heap profiles, diagnostic reports — or the addon does not load, the
 * process ends as Node ends it.
 */
export async function exitNow(status: number): Promise<void> {
  if (needsNodeExit()) return;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  let exit: (status: number) => never;
  try {
    exit = (await import('../core/sys/index.js')).sys.exitNow;
  } catch {
    return;
  }
  // the last 'exit' listener: the others (registered before) have run
  process.once('exit', (code) => exit(code));
  process.exit(status);
}

function needsNodeExit(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return process.env.NODE_V8_COVERAGE !== undefined || flags.some((f) => /^--(cpu-prof|heap-prof|prof|report-on|diagnostic-dir)/.test(f));
}

/** Resolves once everything written to `stream` so far is out (or the stream has failed or closed). */
function flushed(stream: Writable): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    stream.write('', () => resolve());
  });
}
