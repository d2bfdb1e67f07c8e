import { readFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { run, versionOf } from './exec.js';
import type { MachineInfo } from './results.js';

const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));

async function installedVersion(pkg: string): Promise<string> {
  try {
    const url = new URL(`../../node_modules/${pkg}/package.json`, import.meta.url);
    return (JSON.parse(await readFile(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** The machine, Node, package and peer versions a report must state. */
export async function machineInfo(benchDir: string): Promise<MachineInfo> {
  const pkg = JSON.parse(await readFile(PACKAGE_JSON, 'utf8')) as { version: string; dependencies?: Record<string, string> };
  const packages: Record<string, string> = {};
  for (const name of Object.keys(pkg.dependencies ?? {}).sort()) packages[name] = await installedVersion(name);
  const fs = await run('stat', ['-f', '-c', '%T', benchDir]).then((r) => r.stdout.trim(), () => 'unknown');
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    kernel: release(),
    benchFilesystem: fs,
    node: process.version,
    strata: pkg.version,
    packages,
    peers: {
      tar: (await versionOf('tar')) ?? 'not installed',
      'fuse-overlayfs': (await versionOf('fuse-overlayfs')) ?? 'not installed',
      'kernel-overlayfs': `Linux ${release()}`,
    },
  };
}
