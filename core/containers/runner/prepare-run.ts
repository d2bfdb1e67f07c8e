import { randomBytes } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { ErrorCode, StrataError } from '../../errors.js';
import { containerEnv, envValue, DEFAULT_PATH } from './environment.js';
import { checkExecutable } from './executable.js';
import type { ExecFailure } from './executable.js';
import type { RunIo, RunSpec } from './run-spec.js';
import { validateRunSpec } from './validate-spec.js';

/** What both backends establish before they start anything. */
export interface PreparedRun {
  /** A fresh id for the runtime (`strata-` and 16 hex digits), also the cgroup's name. */
  readonly id: string;
  readonly env: string[];
}

/**
 * The checks both backends make first, in Docker's order: the spec (EINVALID,
 * EPRIVILEGE), the tools (`tools`, absolute paths; EUNSUPPORTED naming the
 * missing one and its package), then the command. Answers the ExecFailure
 * (its line already written to `io.stderr`) when the command cannot start.
 */
export async function prepareRun(spec: RunSpec, io: RunIo, tools: readonly [path: string, remedy: string][]): Promise<PreparedRun | ExecFailure> {
  await validateRunSpec(spec);
  for (const [path, remedy] of tools) {
    await access(path, constants.X_OK).catch(() => {
      throw new StrataError(ErrorCode.EUNSUPPORTED, `${path} is missing: ${remedy}`);
    });
  }
  const env = containerEnv(spec.env, { hostname: spec.hostname, tty: spec.tty, user: spec.user });
  const failure = await checkExecutable(spec.rootfs, spec.args[0], envValue(env, 'PATH') ?? DEFAULT_PATH, spec.cwd, spec.user);
  if (failure !== undefined) {
    writeLine(io.stderr, `strata: ${failure.message}`);
    return failure;
  }
  return { id: `strata-${randomBytes(8).toString('hex')}`, env };
}

/** A host tool from a Debian package, for prepareRun's `tools`. */
export function debianTool(path: string, pkg: string): [path: string, remedy: string] {
  return [path, `install the ${pkg} package`];
}

export function isExecFailure(value: PreparedRun | ExecFailure): value is ExecFailure {
  return 'exitCode' in value;
}

/** Writes one line to a RunIo output ('inherit': this process's stderr). */
export function writeLine(stream: Writable | 'inherit' | undefined, line: string): void {
  if (stream === 'inherit') process.stderr.write(line + '\n');
  else stream?.write(line + '\n');
}

/**
 * The terminal size a `tty` run starts with: the spec's, else that of the
 * caller's own terminal when stdout is handed over ('inherit') and is one,
 * else 24 × 80. Later resizes of an inherited terminal reach the container
 * through `script`, which follows SIGWINCH.
 */
export function terminalSize(spec: RunSpec, io: RunIo): { rows: number; columns: number } {
  if (spec.consoleSize !== undefined) return spec.consoleSize;
  if (io.stdout === 'inherit' && process.stdout.isTTY && process.stdout.rows > 0) return { rows: process.stdout.rows, columns: process.stdout.columns };
  return { rows: 24, columns: 80 };
}
