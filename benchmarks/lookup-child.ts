/**
 * Child process for lookups through a mount: `node lookup-child.js ROOT OPS.json REPEATS`
 * prints the `runLookups` result as JSON. The runner never touches a mount
 * from its own process synchronously (a FUSE driver serving from that process
 * would deadlock); here synchronous calls are the cheapest honest measure.
 */
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type LookupOps, runLookups } from './lookup-batches.js';

async function main(): Promise<void> {
  const [root, opsFile, repeats] = process.argv.slice(2);
  if (root === undefined || opsFile === undefined) throw new Error('usage: lookup-child ROOT OPS.json REPEATS');
  const ops = JSON.parse(readFileSync(opsFile, 'utf8')) as LookupOps;
  const result = await runLookups(
    {
      stat: (p) => lstatSync(join(root, p), { throwIfNoEntry: false }) !== undefined,
      readdir: (p) => readdirSync(join(root, p)),
      read: (p) => readFileSync(join(root, p)),
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
