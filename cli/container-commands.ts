import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ErrorCode, StrataError } from '../core/engine.js';
import type { ContainerRecord, Store } from '../core/engine.js';
import { commitContainer } from '../core/containers/commit-container.js';
import { argvOf, envFlags, parseEnvFile, type RunFlags } from '../core/containers/run-config.js';
import { startContainer } from '../core/containers/start-container.js';
import { parseTagTarget } from '../core/images/index.js';
import { CONTAINER_FILTERS, selectContainers, type ContainerSelection } from './container-filters.js';
import { collect, storeAction } from './context.js';
import { parseFilters } from './filters.js';
import { FORMAT_HELP, printFormatted, templateFormat } from './format-flag.js';
import { addInspectCommand } from './inspect-command.js';
import { PRUNE_WARNINGS, confirmPrune, pruneContainers, pruneReport } from './prune.js';
import { STDIO, writeOutput } from './files.js';
import { commandCell, containerStateOf, containerStatus, createdAgo, formatDockerTable, truncateId } from './format/index.js';

const NOT_HERE = 'Not in strata (yet): detached containers (-d, logs, stop, exec), named volumes, port publishing.';

interface CreateOptions {
  name?: string;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  network?: string;
  volume: string[];
  tty: boolean;
  interactive: boolean;
  runtime?: string;
  rm?: boolean;
}

/** The options `create` and `run` share. */
function createOptions(command: Command): Command {
  return command
    .argument('<image>')
    .argument('[command...]', 'the command and its arguments (replace the image\'s CMD)')
    .option('--name <name>', 'assign a name to the container')
    .option('-e, --env <K=V>', 'set an environment variable (repeatable)', collect, [])
    .option('--env-file <file>', 'read environment variables from a file (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container (absolute)')
    .option('-u, --user <user[:group]>', 'user name or uid, and optionally group')
    .option('--entrypoint <command>', "overwrite the image's ENTRYPOINT (and drop its CMD)")
    .option('--hostname <name>', 'container host name')
    .option('--network <mode>', 'host (default) or none')
    .option('-v, --volume <host:container[:ro]>', 'bind mount a host path (repeatable)', collect, [])
    .option('-t, --tty', 'allocate a pseudo-TTY', false)
    .option('-i, --interactive', 'keep STDIN open', false)
    .option('--runtime <name>', 'builtin (namespaces, default) or runc (config `runtime`)')
    .passThroughOptions()
    .addHelpText('after', `\n${NOT_HERE}`);
}

async function flagsOf(options: CreateOptions, command: readonly string[]): Promise<RunFlags> {
  const fromFiles: string[] = [];
  for (const file of options.envFile) fromFiles.push(...parseEnvFile(await readFile(file, 'utf8')));
  return {
    command,
    env: [...fromFiles, ...envFlags(options.env)],
    volumes: options.volume,
    tty: options.tty,
    interactive: options.interactive,
    autoRemove: options.rm === true,
    ...(options.entrypoint !== undefined ? { entrypoint: options.entrypoint } : {}),
    ...(options.workdir !== undefined ? { workdir: options.workdir } : {}),
    ...(options.user !== undefined ? { user: options.user } : {}),
    ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
    ...(options.network !== undefined ? { network: options.network } : {}),
    ...(options.runtime !== undefined ? { runtime: options.runtime } : {}),
  };
}

/** Runs the container attached to this terminal (or pipes); returns its exit status. */
async function attach(store: Store, c: ContainerRecord): Promise<number> {
  const exit = await startContainer(store, c, { stdin: c.config.OpenStdin ? 'inherit' : undefined, stdout: 'inherit', stderr: 'inherit', forwardSignals: true } as never);
  return exit.exitCode;
}

async function psRows(store: Store, selection: ContainerSelection, noTrunc: boolean) {
  return (await selectContainers(store, selection))
    .map((c) => {
      const state = containerStateOf(c, store.containers.isRunning(c));
      return { c, id: noTrunc ? c.id : truncateId(c.id), image: c.imageRef, command: commandCell(argvOf(c.config), noTrunc), created: createdAgo(new Date(c.createdAt)), status: containerStatus(state), names: c.name };
    });
}

/** `create`, `run`, `start`, `ps`, `diff`, `commit`, `export`, `rm`, and `container …`. */
export function addContainerCommands(program: Command): void {
  const group = program.command('container').description(`manage containers (create, run, start, ls, inspect, diff, commit, export, rm, mount, umount, prune). ${NOT_HERE}`).enablePositionalOptions();

  for (const parent of [program, group]) {
    storeAction<CreateOptions>(createOptions(parent.command('create').description('create a new container (a writable layer on an image)')), async ({ store, out, args, options }) => {
      const [image, ...command] = args;
      const c = await store.containers.create(image!, await flagsOf(options, command), options.name);
      out.value({ id: c.id }, () => c.id);
    });

    storeAction<CreateOptions>(
      createOptions(parent.command('run').description('run a command in a new container').option('--rm', 'remove the container when it exits', false)),
      async ({ store, args, options }) => {
        const [image, ...command] = args;
        const c = await store.containers.create(image!, await flagsOf(options, command), options.name);
        process.exitCode = await attach(store, c);
      },
    );

    storeAction<{ attach: boolean; interactive: boolean }>(
      parent.command('start').description('start a created or exited container, attached (there are no detached containers in strata)').argument('<container>')
        .option('-a, --attach', 'attach its output (always, in strata)', true)
        .option('-i, --interactive', "attach the container's STDIN", false),
      async ({ store, args }) => {
        process.exitCode = await attach(store, store.containers.get(args[0]!));
      },
    );

    storeAction<{ output?: string }>(
      parent.command('export').description("export a container's file system as a tar archive").argument('<container>').option('-o, --output <file>', 'write to a file instead of stdout'),
      async ({ store, args, options }) => {
        const c = store.containers.get(args[0]!);
        const target = options.output ?? STDIO;
        if (target === STDIO && process.stdout.isTTY) throw new StrataError(ErrorCode.EUSAGE, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
        await writeOutput(await store.layers.exportTar(c.layer), target, 'export');
      },
    );

    storeAction(parent.command('diff').description("inspect changes to files or directories on a container's file system").argument('<container>'), async ({ store, out, args }) => {
      const c = store.containers.get(args[0]!);
      const changes = await store.layers.changes(c.layer, c.baseLayer ?? undefined);
      out.value(changes, () => changes.map((ch) => `${ch.kind} ${ch.path}`));
    });

    storeAction<{ message?: string; author?: string; change: string[]; pause: boolean }>(
      parent.command('commit').description("create a new image from a container's changes").argument('<container>').argument('[repository]', 'REPOSITORY[:TAG]')
        .option('-m, --message <message>', 'commit message')
        .option('-a, --author <author>', 'author (e.g. "John Hannibal Smith <hannibal@a-team.com>")')
        .option('-c, --change <instruction>', 'apply a Dockerfile instruction to the created image (repeatable)', collect, [])
        // Docker spells it `--pause=false`; commander hands a short option's attached value over with its `=`.
        .option('-p, --pause [bool]', 'pause a running container during the commit', (v: string) => v.replace(/^=/, '') !== 'false', true),
      async ({ store, out, args, options }) => {
        const name = args[1] === undefined ? undefined : parseTagTarget(args[1]);
        const id = await commitContainer(store, args[0]!, {
          changes: options.change,
          pause: options.pause,
          ...(name ? { name } : {}),
          ...(options.message === undefined ? {} : { message: options.message }),
          ...(options.author === undefined ? {} : { author: options.author }),
        });
        out.value({ id: `sha256:${id}` }, () => `sha256:${id}`);
      },
    );

    storeAction<{ force: boolean }>(
      parent.command(parent === group ? 'rm' : 'rm').description('remove one or more containers').argument('<container...>').option('-f, --force', 'kill and remove a running container', false),
      async ({ store, args, options }) => {
        let failed = false;
        for (const ref of args) {
          try {
            await store.containers.remove(ref, options.force);
            process.stdout.write(`${ref}\n`);
          } catch (err) {
            if (args.length === 1) throw err;
            process.stderr.write(`strata: ${(err as Error).message}\n`);
            failed = true;
          }
        }
        if (failed) process.exitCode = 1;
      },
    );
  }

  for (const [parent, name] of [[program, 'ps'], [group, 'ls']] as const) {
    storeAction<{ all: boolean; quiet: boolean; filter: string[]; last?: string; latest: boolean; format?: string }>(
      parent.command(name).description('list containers (running ones; -a: all)').option('-a, --all', 'show all containers', false).option('-q, --quiet', 'only display container ids', false)
        .option('-f, --filter <filter>', 'filter output: id, name, status, exited, ancestor, before, since, label (KEY=VALUE, repeatable)', collect, [])
        .option('-n, --last <n>', 'show the n last created containers (all states)')
        .option('-l, --latest', 'show the latest created container (all states)', false)
        .option('--format <string>', FORMAT_HELP)
        .option('--no-trunc', "don't truncate output"),
      async ({ store, out, options, noTrunc }) => {
        const last = options.latest ? 1 : options.last === undefined ? undefined : Number(options.last);
        if (last !== undefined && !Number.isInteger(last)) throw new StrataError(ErrorCode.EUSAGE, `invalid argument "${options.last}" for "-n, --last" flag: not a number`);
        const rows = await psRows(store, { all: options.all, filters: parseFilters(options.filter, CONTAINER_FILTERS), ...(last === undefined ? {} : { last }) }, noTrunc);
        // Docker: -q wins over a custom format, with a warning.
        if (templateFormat(options.format) && options.quiet) process.stderr.write('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
        else if (templateFormat(options.format)) {
          const format = options.format;
          // Docker asks the daemon for sizes only when the template reads .Size (`{{json .}}` does, `json` does not).
          const sizeWanted = format !== 'json' && (format.includes('.Size') || /\{\{-?\s*json\s+\.\s*-?\}\}/.test(format));
          const data = await (await import('./container-format-rows.js')).containerFormatRows(store, rows.map((r) => r.c), sizeWanted);
          return printFormatted(format, (c) => c.containersSource(data, !noTrunc), { exec: 'failed to execute template' });
        }
        if (out.json) return out.jsonDocument(rows.map((r) => ({ Id: r.c.id, Image: r.c.imageRef, Command: argvOf(r.c.config), Created: r.c.createdAt, State: r.c.state, ExitCode: r.c.exitCode, Names: [r.c.name] })));
        if (options.quiet) return process.stdout.write(rows.map((r) => `${r.id}\n`).join(''));
        const table = rows.map((r) => [r.id, r.image, r.command, r.created, r.status, '', r.names]);
        process.stdout.write(formatDockerTable([['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], ...table]));
      },
    );
  }

  addInspectCommand(group, 'inspect', 'container');

  storeAction(group.command('mount').description("mount a container's file system and print the directory (reference-counted)").argument('<container>'), async ({ store, out, args }) => {
    const path = await store.layers.mount(store.containers.get(args[0]!).layer);
    out.value({ path }, () => path);
  });

  storeAction(group.command('umount').alias('unmount').description("drop one mount reference of a container's file system").argument('<container>'), async ({ store, args }) => {
    await store.layers.unmount(store.containers.get(args[0]!).layer);
  });

  storeAction<{ force: boolean }>(group.command('prune').description('remove all stopped containers').option('-f, --force', 'do not prompt for confirmation', false), async ({ store, out, options }) => {
    if (!(await confirmPrune(options.force, PRUNE_WARNINGS.containers))) return process.stdout.write(pruneReport({ reclaimed: 0 }));
    const removed = await pruneContainers(store);
    if (out.json) return out.jsonDocument({ deleted: removed });
    process.stdout.write(pruneReport({ containers: removed, reclaimed: 0 }));
  });
}
