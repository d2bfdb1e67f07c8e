import test from 'ava';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DirectoryTree, ErrorCode, UnionTree, readLayerTar } from '../../core/engine.js';
import { decodeUtf8Name, quoteNameBytes } from '../../core/utf8-name.js';
import { assertRefused, gnuTar, packTar, sandbox } from './fixtures.js';

// Names are UTF-8 text (core/utf8-name.ts): valid names pass byte for byte,
// anything else is refused with one line showing the bad bytes as \xNN.

/** A path whose last component is given as raw bytes. */
function rawPath(dir: string, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), name]);
}

async function names(bytes: Buffer): Promise<string[]> {
  const out: string[] = [];
  for await (const { header, body } of readLayerTar(Readable.from([bytes]))) {
    body.resume();
    out.push(header.name);
  }
  return out;
}

test('quoteNameBytes shows each byte outside a valid UTF-8 sequence as \\xNN and quotes the rest as JSON does', (t) => {
  const q = (...bytes: number[]): string => quoteNameBytes(Buffer.from(bytes));
  t.is(q(0x61, 0xff, 0x62), '"a\\xffb"');
  t.is(quoteNameBytes(Buffer.from('café "x"\n')), '"café \\"x\\"\\n"');
  t.is(q(0xc0, 0x80), '"\\xc0\\x80"', 'an overlong NUL');
  t.is(q(0xed, 0xa0, 0x80), '"\\xed\\xa0\\x80"', 'a UTF-16 surrogate');
  t.is(q(0xf4, 0x90, 0x80, 0x80), '"\\xf4\\x90\\x80\\x80"', 'above U+10FFFF');
  t.is(q(0x78, 0xe2, 0x82), '"x\\xe2\\x82"', 'a sequence cut short');
  t.is(q(0xef, 0xbf, 0xbd, 0xf0, 0x9f, 0x90, 0xb3), '"\uFFFD🐳"', 'a real U+FFFD and a 4-byte sequence are text');
  t.is(decodeUtf8Name(Buffer.from([0xef, 0xbb, 0xbf, 0x61])), '\uFEFFa', 'a leading BOM is kept');
  t.is(decodeUtf8Name(Buffer.from([0x61, 0xff])), undefined);
});

test('the tar reader refuses a name that is not UTF-8 in every header form GNU tar writes, naming the entry once', async (t) => {
  const box = await sandbox(t);
  const src = join(box.root, 'src');
  const long = 'l'.repeat(120);
  await mkdir(join(src, 'short'), { recursive: true });
  await mkdir(join(src, long));
  // argv is UTF-8 text: GNU tar finds the raw names by walking the directories.
  await writeFile(rawPath(join(src, 'short'), Buffer.from([0x62, 0x61, 0x64, 0xff])), 'short name');
  await writeFile(rawPath(join(src, long), Buffer.from([0xfe])), 'long name');
  for (const format of ['ustar', 'gnu', 'pax']) {
    await assertRefused(t, names(gnuTar(src, [`--format=${format}`, '-cf', '-', 'short'])), ErrorCode.EBADARCHIVE, 'entry "short/bad\\xff": name is not valid UTF-8');
    if (format === 'ustar') continue; // ustar cannot split a 122-byte name at its only '/'
    await assertRefused(t, names(gnuTar(src, [`--format=${format}`, '-cf', '-', long])), ErrorCode.EBADARCHIVE, `entry "${long}/\\xfe"`);
  }
});

test('valid UTF-8 names pass byte for byte: accents, a real U+FFFD, a leading BOM, in GNU and PAX headers', async (t) => {
  const box = await sandbox(t);
  const src = join(box.root, 'src');
  await mkdir(src);
  const valid = ['café', 'x\uFFFDy', '\uFEFFbom', `${'é'.repeat(60)}-long`];
  for (const name of valid) await writeFile(join(src, name), name);
  for (const format of ['gnu', 'pax']) {
    const got = await names(gnuTar(src, [`--format=${format}`, '-cf', '-', ...valid]));
    t.deepEqual(got.map((n) => Buffer.from(n).toString('hex')).sort(), valid.map((n) => Buffer.from(n).toString('hex')).sort(), format);
  }
});

/** tar bytes with header byte `offset` (of the first block) set to `value`, its checksum redone. */
function patchFirstHeader(tar: Buffer, offset: number, value: number): Buffer {
  const out = Buffer.from(tar);
  out[offset] = value;
  out.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += out[i]!;
  out.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return out;
}

test('a symlink or hardlink target that is not UTF-8 is refused, naming the entry and showing the target', async (t) => {
  const box = await sandbox(t);
  const src = join(box.root, 'src');
  await mkdir(join(src, 'links'), { recursive: true });
  await symlink(Buffer.from([0x74, 0xff]), rawPath(join(src, 'links'), Buffer.from('sym')));
  const symTar = gnuTar(src, ['--format=gnu', '-cf', '-', 'links/sym']);
  await assertRefused(t, names(symTar), ErrorCode.EBADARCHIVE, 'entry "links/sym": symlink target "t\\xff" is not valid UTF-8');
  const linkTar = await packTar([{ name: 'second', type: 'link', linkname: 'fX' }]);
  await assertRefused(t, names(patchFirstHeader(linkTar, 157 + 1, 0xff)), ErrorCode.EBADARCHIVE, 'entry "second": hardlink target "f\\xff"');
});

test('a directory listing with a name that is not UTF-8 fails with EUNSUPPORTED naming it, plain and in a union', async (t) => {
  const box = await sandbox(t);
  const upper = join(box.root, 'upper');
  const lower = join(box.root, 'lower');
  await mkdir(join(upper, 'sub'), { recursive: true });
  await mkdir(lower);
  await writeFile(join(upper, 'sub', 'fine'), 'fine');
  await writeFile(join(upper, 'sub', 'x\uFFFDy'), 'a real U+FFFD is fine');
  await writeFile(rawPath(join(upper, 'sub'), Buffer.from([0x6e, 0xe9])), 'latin-1');
  await symlink(Buffer.from([0x2f, 0xff]), join(upper, 'badlink'));
  const expectLine = async (promise: Promise<unknown>, text: string): Promise<void> => {
    const err = await t.throwsAsync(promise);
    t.is((err as { code?: string }).code, ErrorCode.EUNSUPPORTED, err?.message);
    t.true(err?.message.includes(text), err?.message);
    t.false(err?.message.includes('\n'));
  };
  const plain = new DirectoryTree(upper);
  await expectLine(plain.readdir('/sub'), 'name "/sub/n\\xe9" is not valid UTF-8');
  await expectLine(plain.stat('/badlink'), 'symlink "/badlink": its target "/\\xff" is not valid UTF-8');
  const union = UnionTree.of([{ dir: upper, writable: true }, { dir: lower, writable: false }]);
  await expectLine(union.readdir('/sub'), 'name "/sub/n\\xe9" is not valid UTF-8');
  t.deepEqual(await plain.readdir('/'), ['badlink', 'sub'], 'other directories list as before');
});
