/**
 * The parts of npm `fuse-native` 2.2.6 (libfuse 2, high-level API) that the
 * fuse driver uses. Callbacks take a negative errno (`Fuse.ENOENT`) or 0.
 * Times are milliseconds since the epoch.
 */
declare module 'fuse-native' {
  type Cb = (err: number) => void;
  type CbWith<T> = (err: number, value?: T) => void;

  export interface FuseStat {
    mode: number;
    uid: number;
    gid: number;
    size: number;
    dev?: number;
    nlink: number;
    ino?: number;
    rdev?: number;
    blksize?: number;
    blocks?: number;
    atime: Date | number;
    mtime: Date | number;
    ctime: Date | number;
  }

  export interface FuseStatfs {
    bsize: number;
    frsize: number;
    blocks: number;
    bfree: number;
    bavail: number;
    files: number;
    ffree: number;
    favail: number;
    fsid: number;
    flag: number;
    namemax: number;
  }

  export interface FuseOps {
    init?(cb: Cb): void;
    statfs?(path: string, cb: CbWith<FuseStatfs>): void;
    getattr?(path: string, cb: CbWith<FuseStat>): void;
    fgetattr?(path: string, fd: number, cb: CbWith<FuseStat>): void;
    flush?(path: string, fd: number, cb: Cb): void;
    fsync?(path: string, datasync: boolean, fd: number, cb: Cb): void;
    readdir?(path: string, cb: (err: number, names?: string[], stats?: FuseStat[]) => void): void;
    truncate?(path: string, size: number, cb: Cb): void;
    ftruncate?(path: string, fd: number, size: number, cb: Cb): void;
    utimens?(path: string, atime: number, mtime: number, cb: Cb): void;
    readlink?(path: string, cb: CbWith<string>): void;
    chown?(path: string, uid: number, gid: number, cb: Cb): void;
    chmod?(path: string, mode: number, cb: Cb): void;
    mknod?(path: string, mode: number, dev: number, cb: Cb): void;
    setxattr?(path: string, name: string, value: Buffer, position: number, flags: number, cb: Cb): void;
    getxattr?(path: string, name: string, position: number, cb: CbWith<Buffer | null>): void;
    listxattr?(path: string, cb: CbWith<string[]>): void;
    removexattr?(path: string, name: string, cb: Cb): void;
    open?(path: string, flags: number, cb: CbWith<number>): void;
    read?(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (bytes: number) => void): void;
    write?(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (bytes: number) => void): void;
    release?(path: string, fd: number, cb: Cb): void;
    create?(path: string, mode: number, cb: CbWith<number>): void;
    unlink?(path: string, cb: Cb): void;
    rename?(src: string, dest: string, cb: Cb): void;
    link?(src: string, dest: string, cb: Cb): void;
    symlink?(target: string, path: string, cb: Cb): void;
    mkdir?(path: string, mode: number, cb: Cb): void;
    rmdir?(path: string, cb: Cb): void;
  }

  export interface FuseOptions {
    force?: boolean;
    mkdir?: boolean;
    debug?: boolean;
    allowOther?: boolean;
    defaultPermissions?: boolean;
    kernelCache?: boolean;
    autoCache?: boolean;
    attrTimeout?: number;
    entryTimeout?: number;
    maxRead?: number;
    fsname?: string;
    subtype?: string;
    /** ms per call before fuse-native answers ETIMEDOUT itself; false: never. */
    timeout?: number | false;
  }

  class Fuse {
    constructor(mnt: string, ops: FuseOps, opts?: FuseOptions);
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    /** The `-o...` argument fuse-native hands libfuse. */
    protected _fuseOptions(): string;
    /** Per opcode, 1 where the handler table implements it; handed to the binding's mount. */
    protected _getImplementedArray(): Uint32Array;
    /** The binding's per-mount state (fuse_thread_t), allocated when mounting; null before. */
    protected _thread: Buffer | null;
    static unmount(mnt: string, cb: (err: Error | null) => void): void;
    static readonly [errno: string]: unknown;
  }

  export default Fuse;
}
