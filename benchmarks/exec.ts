import { spawn } from 'node:child_process';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command asynchronously (never a synchronous spawn: a process must not
 * block its event loop while a FUSE mount it serves is being used) and resolves
 * with its output; rejects naming the command and its stderr when it exits non-zero.
 */
export function run(command: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
    if (options.input !== undefined) {
      child.stdin!.on('error', () => undefined); // the child may exit without reading
      child.stdin!.end(options.input);
    }
  });
}

/** First line of `command --version` (stdout or stderr), or undefined when it cannot run. */
export async function versionOf(command: string, args: readonly string[] = ['--version']): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(command, args);
    const lines = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    return lines.find((l) => l.toLowerCase().includes(command.split('/').pop()!)) ?? lines[0];
  } catch {
    return undefined;
  }
}
