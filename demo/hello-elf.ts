import type { Readable } from 'node:stream';
import { writeTar } from '../core/archive/tar-writer.js';
import type { TarWriterEntry } from '../core/archive/tar-writer.js';

/**
 * The seed tutorials' hello-world program, made without a compiler: a minimal
 * static ELF64 executable (one PT_LOAD segment, no sections, no libc) that
 * writes `hello docker\n` to stdout with write(2) and exits 0 with exit(2).
 *
 * Layout (both architectures): the 64-byte ELF header, one 56-byte program
 * header, then the machine code followed by the message. The whole file is
 * mapped read+execute at 0x400000; the entry point is the first instruction.
 */

/** What `/hello` prints. */
export const HELLO_MESSAGE = 'hello docker\n';

/** OCI architecture names this generator knows. */
export type HelloArch = 'amd64' | 'arm64';

const BASE = 0x400000;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const CODE_OFFSET = EHDR_SIZE + PHDR_SIZE;

const EM_X86_64 = 0x3e;
const EM_AARCH64 = 0xb7;

/** x86-64: write(1, msg, len); exit(0). The lea is RIP-relative to msg. */
function amd64Code(len: number): Buffer {
  const code = Buffer.from([
    0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1        (SYS_write)
    0xbf, 0x01, 0x00, 0x00, 0x00, // mov edi, 1        (stdout)
    0x48, 0x8d, 0x35, 0, 0, 0, 0, // lea rsi, [rip+rel32]
    0xba, 0, 0, 0, 0, //             mov edx, len
    0x0f, 0x05, //                   syscall
    0xb8, 0x3c, 0x00, 0x00, 0x00, // mov eax, 60       (SYS_exit)
    0x31, 0xff, //                   xor edi, edi
    0x0f, 0x05, //                   syscall
  ]);
  code.writeInt32LE(code.length - 17, 13); // msg follows the code; the lea ends at byte 17
  code.writeUInt32LE(len, 18);
  return code;
}

/** AArch64: write(1, msg, len); exit(0). ADR x1 points at msg. */
function arm64Code(len: number): Buffer {
  const movz = (rd: number, imm: number) => (0xd2800000 | (imm << 5) | rd) >>> 0;
  const svc0 = 0xd4000001;
  const words = [
    movz(0, 1), //   mov x0, #1        (stdout)
    0, //            adr x1, msg       (filled below)
    movz(2, len), // mov x2, #len
    movz(8, 64), //  mov x8, #64       (SYS_write)
    svc0,
    movz(0, 0), //   mov x0, #0
    movz(8, 93), //  mov x8, #93       (SYS_exit)
    svc0,
  ];
  const rel = (words.length - 1) * 4; // from the adr (word 1) to msg
  words[1] = (0x10000000 | ((rel & 3) << 29) | ((rel >> 2) << 5) | 1) >>> 0;
  const code = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => code.writeUInt32LE(w, i * 4));
  return code;
}

/** The ELF executable's bytes for `arch` (about 160 bytes). Deterministic. */
export function helloElf(arch: HelloArch = 'amd64'): Buffer {
  const message = Buffer.from(HELLO_MESSAGE);
  const code = arch === 'amd64' ? amd64Code(message.length) : arm64Code(message.length);
  const size = CODE_OFFSET + code.length + message.length;
  const elf = Buffer.alloc(size);

  // ELF header
  elf.write('\x7fELF', 0, 'latin1');
  elf[4] = 2; // ELFCLASS64
  elf[5] = 1; // little endian
  elf[6] = 1; // EV_CURRENT
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(arch === 'amd64' ? EM_X86_64 : EM_AARCH64, 18);
  elf.writeUInt32LE(1, 20); // e_version
  elf.writeBigUInt64LE(BigInt(BASE + CODE_OFFSET), 24); // e_entry
  elf.writeBigUInt64LE(BigInt(EHDR_SIZE), 32); // e_phoff
  elf.writeBigUInt64LE(0n, 40); // e_shoff
  elf.writeUInt32LE(0, 48); // e_flags
  elf.writeUInt16LE(EHDR_SIZE, 52);
  elf.writeUInt16LE(PHDR_SIZE, 54);
  elf.writeUInt16LE(1, 56); // e_phnum
  elf.writeUInt16LE(64, 58); // e_shentsize
  elf.writeUInt16LE(0, 60); // e_shnum
  elf.writeUInt16LE(0, 62); // e_shstrndx

  // Program header: one PT_LOAD, R+X, the whole file
  const ph = EHDR_SIZE;
  elf.writeUInt32LE(1, ph); // PT_LOAD
  elf.writeUInt32LE(5, ph + 4); // PF_R | PF_X
  elf.writeBigUInt64LE(0n, ph + 8); // p_offset
  elf.writeBigUInt64LE(BigInt(BASE), ph + 16); // p_vaddr
  elf.writeBigUInt64LE(BigInt(BASE), ph + 24); // p_paddr
  elf.writeBigUInt64LE(BigInt(size), ph + 32); // p_filesz
  elf.writeBigUInt64LE(BigInt(size), ph + 40); // p_memsz
  elf.writeBigUInt64LE(0x10000n, ph + 48); // p_align (fits 4K and 64K pages)

  code.copy(elf, CODE_OFFSET);
  message.copy(elf, CODE_OFFSET + code.length);
  return elf;
}

/** Fixed mtime of the entry, so the tar (and so the layer's diff_id) is the same on every run. */
const EPOCH = new Date(0);

/**
 * A root-filesystem tar holding only `hello` (mode 0755, uid/gid 0), the
 * program `helloElf(arch)`: the layer of the hello-world image. Deterministic
 * bytes (core/archive's writer).
 */
export function helloRootfsTar(arch: HelloArch = 'amd64', mtime: Date = EPOCH): Readable {
  const body = helloElf(arch);
  async function* entries(): AsyncGenerator<TarWriterEntry> {
    yield {
      header: { name: 'hello', type: 'file', mode: 0o755, uid: 0, gid: 0, size: body.length, mtime },
      content: async () => [body],
    };
  }
  return writeTar(entries());
}
