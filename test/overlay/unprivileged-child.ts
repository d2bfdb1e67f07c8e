/**
 * Run by unprivileged.test.ts as an unprivileged user: uses the overlay driver
 * in `process.argv[2]` and prints what each step gave, as one JSON line.
 */
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { isStrataError } from '../../core/engine.js';
import { OverlayDriver } from '../../drivers/overlay/index.js';
import { wrapDriver } from '../../core/engine.js';

const driver = wrapDriver((c) => new OverlayDriver(c), process.argv[2]!);
const probe = await driver.probe();
await driver.init();
const pack = tarStream.pack();
pack.entry({ name: 'etc/', type: 'directory', mode: 0o755 });
pack.entry({ name: 'etc/motd', type: 'file', mode: 0o644 }, 'hello');
pack.finalize();
await driver.create('base', null, { writable: false });
const size = await driver.applyDiff('base', null, Readable.from(pack));
const names = await driver.readdir('base', '/etc');
let diffBytes = 0;
for await (const chunk of await driver.diff('base', null)) diffBytes += (chunk as Buffer).length;
let mountError: { code: string; message: string } | undefined;
try {
  await driver.mount('base');
} catch (err) {
  if (!isStrataError(err)) throw err;
  mountError = { code: err.code, message: err.message };
}
const deleting = tarStream.pack();
deleting.entry({ name: 'etc/.wh.motd', type: 'file', mode: 0o644 }, '');
deleting.finalize();
await driver.create('child', 'base', { writable: false });
let whiteoutError: string | undefined;
try {
  await driver.applyDiff('child', 'base', Readable.from(deleting));
} catch (err) {
  if (!isStrataError(err)) throw err;
  whiteoutError = err.code;
}
const childNames = await driver.readdir('child', '/etc');
console.log(JSON.stringify({ probe, size, names, diffBytes, mountError, whiteoutError, childNames }));
