import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { readLayerTar } from '../../core/archive/index.js';
import { HELLO_MESSAGE, helloElf, helloRootfsTar } from '../../demo/hello-elf.js';

const run = promisify(execFile);

async function bytesOf(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const native = arch() === 'x64' ? 'amd64' : arch() === 'arm64' ? 'arm64' : undefined;

(native ? test : test.skip)(`the generated ${native ?? 'native'} ELF runs here and prints "hello docker"`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-hello-'));
  try {
    const file = join(dir, 'hello');
    await writeFile(file, helloElf(native!), { mode: 0o755 });
    const { stdout, stderr } = await run(file, [], { env: {} });
    t.is(stdout, HELLO_MESSAGE);
    t.is(stderr, '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('both ELF images are ELF64 little-endian executables for their machine', (t) => {
  for (const [which, machine] of [['amd64', 0x3e], ['arm64', 0xb7]] as const) {
    const elf = helloElf(which);
    t.is(elf.subarray(0, 4).toString('latin1'), '\x7fELF');
    t.is(elf[4], 2);
    t.is(elf.readUInt16LE(16), 2, 'ET_EXEC');
    t.is(elf.readUInt16LE(18), machine);
    t.true(elf.includes(Buffer.from(HELLO_MESSAGE)));
    t.true(elf.length < 256);
  }
});

test('the rootfs tar holds only /hello, 0755, root-owned, and is the same bytes every time', async (t) => {
  const first = await bytesOf(helloRootfsTar());
  const second = await bytesOf(helloRootfsTar());
  t.deepEqual(first, second);
  const entries: Array<{ name: string; mode: number; uid: number; gid: number; type: string; body: Buffer }> = [];
  for await (const entry of readLayerTar(Readable.from([first]))) {
    entries.push({ ...entry.header, body: await bytesOf(entry.body) });
  }
  t.deepEqual(entries.map((e) => [e.name, e.type, e.mode, e.uid, e.gid]), [['hello', 'file', 0o755, 0, 0]]);
  t.deepEqual(entries[0]!.body, helloElf('amd64'));
  // The diff_id Docker 20.10 reported for this tar (notes/docker-images.md).
  t.is(createHash('sha256').update(first).digest('hex'), 'bc17230cf5cb5939026df6fb5801d05736c7c8138a537c2ea81b423fc074ddf0');
});


/** The aarch64 program cannot run here; LLVM's disassembler (when installed) reads it back. */
const llvmMc = existsSync('/usr/bin/llvm-mc') ? '/usr/bin/llvm-mc' : undefined;

(llvmMc ? test : test.skip)('the aarch64 code disassembles to write(1, msg, 13) and exit(0)', async (t) => {
  const elf = helloElf('arm64');
  const code = elf.subarray(120, elf.length - HELLO_MESSAGE.length);
  const hex = [...code].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
  const child = execFile(llvmMc!, ['--disassemble', '-triple=aarch64']);
  const output = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
  child.stdin!.end(hex);
  const lines = (await output)
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '' && !l.startsWith('.'));
  t.deepEqual(lines, ['mov x0, #1', `adr x1, #${code.length - 4}`, 'mov x2, #13', 'mov x8, #64', 'svc #0', 'mov x0, #0', 'mov x8, #93', 'svc #0']);
});
