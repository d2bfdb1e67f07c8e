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

export interface RunCliOptions {
  readonly input?: Buffer;
  readonly env?: NodeJS.ProcessEnv;
  /** A reader that stops reading stdout for `ms` once it has `afterBytes` bytes (meanwhile the command's output waits in it for the pipe). */
  readonly stall?: { readonly afterBytes: number; readonly ms: number };
}

/** Runs `node dist/bundle/cli/main.js ...args` with pipes for stdio (never a terminal). */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(options.env ?? {}), stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let received = 0;
    let stalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      received += chunk.length;
      if (options.stall === undefined || stalled || received < options.stall.afterBytes) return;
      stalled = true;
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), options.stall.ms);
    });
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
