import test from 'ava';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { ErrorCode, readLayerTar, sys, type LayerTarHeader } from '../../core/engine.js';
import { assertRefused, gnuTar, sandbox } from './fixtures.js';

/**
 * core/archive/tar-reader.ts reaches into tar-stream's private extractor
 * (`_decodeLongHeader`, `_header`) to read PAX blocks byte-exact. That was
 * verified with this version only: any other needs the hook re-checked
 * against its extract.js, then this constant and package.json updated.
 */
const VERIFIED = '3.2.2';
const HOOK = 'core/archive/tar-reader.ts hooks tar-stream\'s private _decodeLongHeader/_header';

const packageJson = (path: string): Promise<{ version?: string; dependencies?: Record<string, string> }> =>
  readFile(path, 'utf8').then((text) => JSON.parse(text) as { version?: string; dependencies?: Record<string, string> });

test(`tar-stream is exactly ${VERIFIED}, in package.json and in node_modules`, async (t) => {
  const ours = await packageJson(new URL('../../../package.json', import.meta.url).pathname);
  const spec = ours.dependencies?.['tar-stream'];
  t.is(spec, VERIFIED, `package.json asks for tar-stream ${spec}: ${HOOK} as verified with ${VERIFIED}; re-verify the hook before changing the version, then update VERIFIED in this test`);
  const entry = createRequire(import.meta.url).resolve('tar-stream');
  const installed = (await packageJson(join(dirname(entry), 'package.json'))).version;
  t.is(installed, VERIFIED, `tar-stream ${installed} is installed: ${HOOK} as verified with ${VERIFIED}; run npm ci, or re-verify the hook and update VERIFIED`);
  const extract = tar.extract() as unknown as { _decodeLongHeader?: unknown; _header?: unknown };
  t.is(typeof extract._decodeLongHeader, 'function', 'the hooked method exists');
  t.true('_header' in extract, 'the header the hook reads exists');
});

async function headers(bytes: Buffer): Promise<LayerTarHeader[]> {
  const out: LayerTarHeader[] = [];
  for await (const { header, body } of readLayerTar(Readable.from([bytes]))) {
    body.resume();
    out.push(header);
  }
  return out;
}

test('every long-header path goes through the hook: PAX xattrs, path and linkpath byte-exact; GNU long names and link names', async (t) => {
  const box = await sandbox(t);
  const src = join(box.root, 'src');
  const long = `${'p'.repeat(110)}/${'q'.repeat(120)}`;
  await mkdir(join(src, long), { recursive: true });
  await writeFile(join(src, long, 'f'), 'x');
  await symlink(`${long}/f`, join(src, 'link'));
  const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80]);
  sys.lsetxattr(join(src, long, 'f'), 'user.bin', binary);

  const pax = await headers(gnuTar(src, ['--format=posix', '--xattrs', '--xattrs-include=*', '-cf', '-', `${long}/f`, 'link']));
  t.deepEqual(pax.map((h) => h.name), [`${long}/f`, 'link'], 'PAX path');
  t.deepEqual(pax[0]?.xattrs?.['user.bin'], binary, 'a binary PAX xattr value, byte-exact');
  t.is(pax[1]?.linkName, `${long}/f`, 'PAX linkpath');

  const gnu = await headers(gnuTar(src, ['--format=gnu', '-cf', '-', `${long}/f`, 'link']));
  t.deepEqual(gnu.map((h) => h.name), [`${long}/f`, 'link'], 'GNU long name');
  t.is(gnu[1]?.linkName, `${long}/f`, 'GNU long link name');

  // The PAX path is read from the raw block: bytes that are not UTF-8 are seen (and refused), not replaced.
  await mkdir(join(src, 'bad'));
  await writeFile(Buffer.from(`${src}/bad/${'r'.repeat(120)}\xff`, 'latin1'), 'x');
  await assertRefused(t, headers(gnuTar(src, ['--format=posix', '-cf', '-', 'bad'])), ErrorCode.EBADARCHIVE, `entry "bad/${'r'.repeat(120)}\\xff"`);
});
