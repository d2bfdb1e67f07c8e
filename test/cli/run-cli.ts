import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledEntry } from '../../cli/bundled.js';

/** The bundled `strata` (dist/bundle/cli/main.js), what a user runs. */
export const CLI = bundledEntry('main.js');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout as bytes (for tar output). */
  readonly raw: Buffer;
}

/** An environment without the caller's STRATA_* settings, so only flags count. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('STRATA_')) delete env[key];
  return { ...env, ...extra };
}

/** Runs `node dist/bundle/cli/main.js ...args` with pipes for stdio (never a terminal). */
export function runCli(args: readonly string[], options: { input?: Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(options.env ?? {}), stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      const raw = Buffer.concat(out);
      resolve({ status, raw, stdout: raw.toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/** Runs a tool (GNU tar, gzip) and fails loudly if it does. */
export function tool(command: string, args: readonly string[], cwd?: string): Buffer {
  const result = spawnSync(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr?.toString() ?? result.error?.message}`);
  }
  return result.stdout;
}

/** A fresh temporary directory and its removal. */
export async function tempDir(prefix: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `strata-cli-${prefix}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
