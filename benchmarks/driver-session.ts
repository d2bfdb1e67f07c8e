import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ContainerModule } from 'inversify';
import { type DriverCapabilities, DriverRegistry, type DriverRuntime, randomId } from '../core/engine.js';
import { removeTree } from './cleanup.js';
import type { DataSets } from './data/data-sets.js';

/**
 * One driver, in a store root of its own under the benchmark's work directory,
 * obtained only through the public surface (driver registry → runtime →
 * probe → init). Caches base layers so scenarios share them, and remembers
 * what it mounted so close() leaves nothing behind.
 */
export class DriverSession {
  readonly name: string;
  readonly root: string;
  readonly driver: DriverRuntime;
  readonly #modules: readonly ContainerModule[];
  readonly #bases = new Map<number, Promise<string>>();
  readonly #mounted = new Map<string, number>();
  #forks = 0;

  private constructor(name: string, root: string, driver: DriverRuntime, modules: readonly ContainerModule[]) {
    this.name = name;
    this.root = root;
    this.driver = driver;
    this.#modules = modules;
  }

  /**
   * Resolves and probes the driver. Returns the session, or the probe's reason
   * when the driver cannot run here. Fails with EUNKNOWNDRIVER for a name no
   * module registers.
   */
  static async open(name: string, root: string, modules: readonly ContainerModule[]): Promise<DriverSession | { unavailable: string }> {
    await mkdir(root, { recursive: true });
    const registry = await DriverRegistry.load({ root, plugins: [], driverOptions: {} }, modules);
    const driver = await registry.open(name);
    const probe = await driver.probe();
    if (!probe.ok) return { unavailable: probe.reason ?? 'probe failed without a reason' };
    await driver.init();
    return new DriverSession(name, root, driver, modules);
  }

  get capabilities(): DriverCapabilities {
    return this.driver.capabilities;
  }

  /** A second, empty store for the same driver (for measurements a shared store would skew). */
  async fork(): Promise<DriverSession> {
    const opened = await DriverSession.open(this.name, `${this.root}-fork${++this.#forks}`, this.#modules);
    if (!(opened instanceof DriverSession)) throw new Error(`driver ${this.name} became unavailable: ${opened.unavailable}`);
    return opened;
  }

  /** A new layer on parent filled from a tarball file; resolves with its id. */
  async layerFromTar(parent: string | null, tarFile: string, writable = false): Promise<string> {
    const id = randomId();
    await this.driver.create(id, parent, { writable });
    await this.driver.applyDiff(id, parent, createReadStream(tarFile));
    return id;
  }

  /** The base layer of `entries` entries, applied once per session. */
  base(data: DataSets, entries: number): Promise<string> {
    let id = this.#bases.get(entries);
    if (id === undefined) {
      id = data.baseTar(entries).then((tar) => this.layerFromTar(null, tar));
      this.#bases.set(entries, id);
    }
    return id;
  }

  async mount(id: string): Promise<string> {
    const path = await this.driver.mount(id);
    this.#mounted.set(id, (this.#mounted.get(id) ?? 0) + 1);
    return path;
  }

  async unmount(id: string): Promise<void> {
    await this.driver.unmount(id);
    const n = (this.#mounted.get(id) ?? 1) - 1;
    if (n === 0) this.#mounted.delete(id);
    else this.#mounted.set(id, n);
  }

  /** Unmounts what this session mounted, closes the driver and deletes the store. */
  async close(): Promise<void> {
    for (const [id, n] of this.#mounted) for (let i = 0; i < n; i++) await this.driver.unmount(id).catch(() => undefined);
    this.#mounted.clear();
    await this.driver.close().catch(() => undefined);
    await removeTree(this.root);
  }
}

/** Reads a stream to its end; resolves with its length in bytes. */
export async function drain(stream: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}

/** Where a driver named `name` keeps its stores under the work directory. */
export function sessionRoot(work: string, name: string): string {
  return join(work, 'stores', name);
}
