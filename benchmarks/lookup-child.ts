/**
 * Child process for lookups through a mount: `node lookup-child.js ROOT OPS.json REPEATS`
 * prints the `runLookups` result as JSON. The runner never touches a mount
 * from its own process synchronously (a FUSE driver serving from that process
 * would deadlock); here synchronous calls are the cheapest honest measure.
 */
import { closeSync, lstatSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type LookupOps, runLookups } from './lookup-batches.js';

/** One read(2) of the large file: 1 MiB, as cat and cp ask. */
const chunk = Buffer.alloc(1 << 20);

async function main(): Promise<void> {
  const [root, opsFile, repeats] = process.argv.slice(2);
  if (root === undefined || opsFile === undefined) throw new Error('usage: lookup-child ROOT OPS.json REPEATS');
  const ops = JSON.parse(readFileSync(opsFile, 'utf8')) as LookupOps;
  const result = await runLookups(
    {
      stat: (p) => lstatSync(join(root, p), { throwIfNoEntry: false }) !== undefined,
      readdir: (p) => readdirSync(join(root, p)),
      read: (p) => readFileSync(join(root, p)),
      readAll: (p) => {
        const fd = openSync(join(root, p), 'r');
        try {
          let total = 0;
          for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) total += n;
          return total;
        } finally {
          closeSync(fd);
        }
      },
    },
    ops,
    Number(repeats ?? 3),
  );
  process.stdout.write(JSON.stringify(result));
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
