import { execFile } from 'node:child_process';
import { access, cp, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A case's build options (case.json), as `docker build` flags. */
export interface CaseOptions {
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  /** The Dockerfile's path relative to the context (`-f`). */
  dockerfile?: string;
  /**
   * Build a second time after running `script` (sh, in the context) with these options
   * merged over the first build's: what the cache reuses.
   */
  rebuild?: { script?: string; buildArgs?: Record<string, string>; labels?: Record<string, string> };
  /**
   * Files an HTTP server on 127.0.0.1 serves during the build (URL path → body as latin1
   * bytes, Last-Modified); the build gets `--build-arg BASEURL=http://127.0.0.1:PORT`.
   */
  serve?: Record<string, { content: string; lastModified?: string }>;
  /** Paths of the built image whose mtimes (seconds) to record. */
  mtimes?: string[];
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
 * For a case with `rebuild`, the image fields (config, layers, history, files) are the
 * second build's.
 */
export interface ExpectedResult {
  exitCode: number;
  error?: string;
  /** `Step N/M : INSTRUCTION` lines as printed. */
  steps: string[];
  /** The N of the steps Docker took from its cache (` ---> Using cache`). */
  cachedSteps?: number[];
  /** The builder's own lines as printed (outputShape: ids as `<id>`, the commands' output left out). */
  output?: string[];
  /** The second build of a case with `rebuild` options. */
  rebuild?: { exitCode: number; steps: string[]; cachedSteps: number[]; output?: string[] };
  /** `docker image inspect`'s Config. */
  config?: Record<string, unknown>;
  /** `docker image inspect`'s ContainerConfig.Cmd: the last step's command (a `#(nop) ` comment for all but RUN). */
  containerCmd?: string[] | null;
  architecture?: string;
  os?: string;
  /** Number of RootFS layers, the base's included. */
  layers?: number;
  /** Oldest first, as `docker history --no-trunc` (base included). */
  history?: { createdBy: string; size: string }[];
  /** Entries added or changed relative to the base; `removed` lists the base paths gone. */
  files?: FsEntry[];
  removed?: string[];
  /** The mtimes (seconds since the epoch) of the paths case.json asked for. */
  mtimes?: Record<string, number>;
}

/**
 * The classic builder's own lines of a build's output, ids replaced by `<id>`: `Step …`,
 * ` ---> …`, `Removing intermediate container …`, `# Executing …`, `Successfully …` and
 * `[Warning] …` (what RUN commands print and Docker's `Sending build context` are left out).
 */
export function outputShape(lines: readonly string[]): string[] {
  return lines
    .filter((l) => /^(Step \d+\/\d+ : | ---> |Removing intermediate container |# Executing |Successfully |\[Warning\] )/.test(l))
    .map((l) => (/^Step /.test(l) ? l : l.replace(/\b[0-9a-f]{12}\b/g, '<id>')));
}

/** The corpus folder in the source tree (test/build/corpus), from dist/ or from source. */
export const corpusDir = join(dirname(fileURLToPath(import.meta.url)), '../../../test/build/corpus');

/** The case folders (every directory of the corpus), sorted. */
export async function listCases(): Promise<string[]> {
  return (await readdir(corpusDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

export async function readExpected(name: string): Promise<ExpectedResult> {
  return JSON.parse(await readFile(join(corpusDir, name, 'expected.json'), 'utf8')) as ExpectedResult;
}

/**
 * A fresh copy of the case's context in a temporary directory (the caller removes it),
 * after its prepare.sh, with the case's options.
 */
export async function prepareCase(name: string): Promise<{ ctx: string; options: CaseOptions }> {
  const dir = join(corpusDir, name);
  const options: CaseOptions = await readFile(join(dir, 'case.json'), 'utf8').then(JSON.parse, () => ({}));
  const ctx = await mkdtemp(join(tmpdir(), `strata-case-${name}-`));
  await cp(join(dir, 'context'), ctx, { recursive: true, verbatimSymlinks: true });
  if (await access(join(dir, 'prepare.sh')).then(() => true, () => false)) {
    await promisify(execFile)('sh', [join(dir, 'prepare.sh')], { cwd: ctx });
  }
  return { ctx, options };
}
