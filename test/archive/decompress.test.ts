import test from 'ava';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ErrorCode, openLayerStream, readLayerTar } from '../../core/engine.js';
import { assertRefused, packTar } from './fixtures.js';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A stream that delivers `bytes` in chunks of `size`, so magic bytes may straddle chunks. */
function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

test('gzip is detected by its bytes and gunzipped, whatever the chunking', async (t) => {
  const tarBytes = await packTar([{ name: 'hello.txt', body: 'hello' }]);
  for (const size of [1, 3, 64 * 1024]) {
    const out = await bytesOf(await openLayerStream(chunked(gzipSync(tarBytes), size)));
    t.deepEqual(out, tarBytes);
  }
});

test('an uncompressed tar passes through unchanged and reads as a tar', async (t) => {
  const tarBytes = await packTar([{ name: 'a', body: 'x' }]);
  const stream = await openLayerStream(chunked(tarBytes, 2));
  const names: string[] = [];
  for await (const { header } of readLayerTar(stream)) names.push(header.name);
  t.deepEqual(names, ['a']);
  t.deepEqual(await bytesOf(await openLayerStream(chunked(tarBytes, 5))), tarBytes);
});

test('inputs shorter than any magic pass through', async (t) => {
  t.deepEqual(await bytesOf(await openLayerStream(Readable.from([]))), Buffer.alloc(0));
  t.deepEqual(await bytesOf(await openLayerStream(Readable.from([Buffer.from([0x1f])]))), Buffer.from([0x1f]));
});

test('xz and bzip2 layers are refused with EBADARCHIVE naming the format', async (t) => {
  const bzip2 = Buffer.from('BZh91AY&SY');
  await assertRefused(t, openLayerStream(Readable.from([bzip2])), ErrorCode.EBADARCHIVE, 'bzip2');
  const xz = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]);
  await assertRefused(t, openLayerStream(Readable.from([xz])), ErrorCode.EBADARCHIVE, 'xz');
});

test('a corrupt or truncated gzip stream fails with EBADARCHIVE', async (t) => {
  const gz = gzipSync(await packTar([{ name: 'a', body: Buffer.alloc(100_000, 3) }]));
  const truncated = gz.subarray(0, gz.length - 20);
  await assertRefused(t, openLayerStream(Readable.from([truncated])).then(bytesOf), ErrorCode.EBADARCHIVE, 'gzip');
  const corrupt = Buffer.from(gz);
  corrupt.fill(0xaa, 30, 60);
  await assertRefused(t, openLayerStream(Readable.from([corrupt])).then(bytesOf), ErrorCode.EBADARCHIVE, 'gzip');
});
