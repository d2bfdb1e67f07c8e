import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A case's build options (case.json), as `docker build` flags. */
export interface CaseOptions {
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  /** The Dockerfile's path relative to the context (`-f`). */
  dockerfile?: string;
}

/** One entry of the built image's root file system that differs from the busybox base. */
export interface FsEntry {
  path: string;
  type: string;
  /** Permission and setuid/setgid/sticky bits, octal, 4 digits. */
  mode: string;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  linkname?: string;
}

/**
 * What Docker 20.10's classic builder produced for a case (expected.json). A failing
 * build has `exitCode` ≠ 0, the last line of stderr as `error` and the steps it printed.
 */
export interface ExpectedResult {
  exitCode: number;
  error?: string;
  /** `Step N/M : INSTRUCTION` lines as printed. */
  steps: string[];
  /** `docker image inspect`'s Config. */
  config?: Record<string, unknown>;
  architecture?: string;
  os?: string;
  /** Number of RootFS layers, the base's included. */
  layers?: number;
  /** Oldest first, as `docker history --no-trunc` (base included). */
  history?: { createdBy: string; size: string }[];
  /** Entries added or changed relative to the base; `removed` lists the base paths gone. */
  files?: FsEntry[];
  removed?: string[];
}

/** The corpus folder in the source tree (test/build/corpus), from dist/ or from source. */
export const corpusDir = join(dirname(fileURLToPath(import.meta.url)), '../../../test/build/corpus');

export async function listCases(): Promise<string[]> {
  return (await readdir(corpusDir)).sort();
}

export async function readExpected(name: string): Promise<ExpectedResult> {
  return JSON.parse(await readFile(join(corpusDir, name, 'expected.json'), 'utf8')) as ExpectedResult;
}
