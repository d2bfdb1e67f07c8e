import { readFile, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { buildImage } from '../core/build/build-image.js';
import { pruneBuildCache } from '../core/build/exec/prune-cache.js';
import { quietOutput, type BuildOutput } from '../core/build/exec/build-output.js';
import { RunFailedError } from '../core/build/executor.js';
import { parseTagTarget } from '../core/images/index.js';
import { collect, outputOf, withStore } from './context.js';
import { PRUNE_WARNINGS, confirmPrune, pruneReport } from './prune.js';
import { imageSize } from './format/index.js';
import { usageError } from './errors.js';

/** `K=V` flags as a record; `K` alone takes the value from the environment (Docker's rule for --build-arg). */
function keyValues(list: readonly string[], flag: string, fromEnv: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq === 0) throw usageError(`${flag}: invalid value ${JSON.stringify(item)}: expected KEY=VALUE`);
    if (eq < 0) {
      const env = process.env[item];
      if (fromEnv && env !== undefined) out[item] = env;
      else if (!fromEnv) out[item] = '';
      continue;
    }
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  cache: boolean;
  quiet: boolean;
  label: string[];
  iidfile?: string;
}

/** `build` and `builder prune`. */
export function addBuildCommands(program: Command): void {
  program
    .command('build')
    .description('build an image from a Dockerfile (Docker\'s classic builder: output, history, cache)')
    .argument('<context>', `the build context directory, or - for a Dockerfile on stdin and no context`)
    .option('-t, --tag <name[:tag]>', 'name the image (repeatable)', collect, [])
    .option('-f, --file <file>', 'the Dockerfile (default CONTEXT/Dockerfile; - for stdin)')
    .option('--build-arg <K=V>', 'set a build-time variable (repeatable)', collect, [])
    .option('--target <stage>', 'build this stage and what it needs')
    .option('--no-cache', 'do not use the build cache')
    .option('-q, --quiet', 'print only the image id', false)
    .option('--label <K=V>', 'set a label on the image (repeatable)', collect, [])
    .option('--iidfile <file>', 'write the image id to the file')
    .action(async (context: string, flags: BuildFlags, command: Command) => {
      const tags = flags.tag.map((t) => parseTagTarget(t));
      let contextDir: string | undefined;
      let dockerfile: string;
      let dockerfileName: string;
      if (context === '-') {
        if (flags.file !== undefined && flags.file !== '-') throw usageError('build: with CONTEXT -, the Dockerfile is read from stdin (no -f)');
        dockerfile = await readStdin();
        dockerfileName = 'Dockerfile';
      } else {
        contextDir = resolve(context);
        if (!(await stat(contextDir).catch(() => undefined))?.isDirectory()) throw usageError(`build: unable to prepare context: path ${JSON.stringify(context)} not found`);
        const file = flags.file === undefined ? join(contextDir, 'Dockerfile') : flags.file === '-' ? '-' : isAbsolute(flags.file) ? flags.file : resolve(flags.file);
        dockerfile = file === '-' ? await readStdin() : await readFile(file, 'utf8').catch(() => { throw usageError(`build: unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${file}: no such file or directory`); });
        dockerfileName = flags.file === undefined || flags.file === '-' ? 'Dockerfile' : flags.file;
      }
      const out: BuildOutput = flags.quiet ? quietOutput() : { line: (text) => void process.stdout.write(`${text}\n`), stdout: process.stdout, stderr: process.stderr };
      if (!flags.quiet && contextDir !== undefined) process.stdout.write('Sending build context to strata\n');
      try {
        const { id } = await withStore(command, (store) => buildImage(store, {
          ...(contextDir !== undefined ? { contextDir } : {}),
          dockerfile, dockerfileName, tags,
          buildArgs: keyValues(flags.buildArg, '--build-arg', true),
          labels: keyValues(flags.label, '--label', false),
          ...(flags.target !== undefined ? { target: flags.target } : {}),
          noCache: !flags.cache,
          out,
        }));
        if (flags.quiet) process.stdout.write(`sha256:${id}\n`);
        if (flags.iidfile !== undefined) await writeFile(flags.iidfile, `sha256:${id}`);
      } catch (err) {
        if (err instanceof RunFailedError) {
          process.stderr.write(`strata: ${err.message}\n`);
          process.exitCode = err.status;
          return;
        }
        throw err;
      }
    });

  const builder = program.command('builder').description('manage the build cache');
  builder
    .command('prune')
    .description('remove the build cache (intermediate images nothing else uses)')
    .option('-a, --all', 'remove all build cache, not just dangling', false)
    .option('-f, --force', 'do not prompt for confirmation', false)
    .action(async (flags: { all: boolean; force: boolean }, command: Command) => {
      const out = outputOf(command);
      if (!(await confirmPrune(flags.force, PRUNE_WARNINGS.buildCache))) return void process.stdout.write(pruneReport({ reclaimed: 0 }));
      const result = await withStore(command, (store) => pruneBuildCache(store));
      if (out.json) return out.jsonDocument(result);
      process.stdout.write(pruneReport({ buildCache: result.deleted, reclaimed: result.reclaimed }));
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
