import { execFile } from 'node:child_process';

/**
 * Runs a peer program and returns its stdout; fails with an Error whose
 * message holds the command line and the peer's stderr (so a failed
 * assertion says what the peer complained about).
 */
export function runPeer(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Why `program` cannot be used here (not on PATH), or undefined. */
export async function missingProgram(program: string, versionArgs: readonly string[] = ['--version']): Promise<string | undefined> {
  try {
    await runPeer(program, versionArgs);
    return undefined;
  } catch (err) {
    return `${program} is not usable here: ${(err as Error).message.split('\n')[0]}`;
  }
}
