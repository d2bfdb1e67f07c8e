import type { Command } from 'commander';
import { Store, loadConfig, type StrataConfig } from '../core/engine.js';
import { builtinDriverModules } from '../drivers/index.js';
import { Output } from './output.js';

/** The global options, as commander parses them (`--no-trunc` sets trunc false). */
export interface GlobalOptions {
  readonly root?: string;
  readonly driver?: string;
  readonly config?: string;
  readonly json?: boolean;
  readonly debug?: boolean;
  readonly trunc?: boolean;
}

/** The global options seen from any (sub)command. */
export function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/**
 * `--no-trunc` given globally (`strata --no-trunc images`) or to the command
 * itself (`strata images --no-trunc`, as Docker users type it). Both cannot be
 * read from optsWithGlobals: there the global default would win.
 */
export function noTruncOf(command: Command): boolean {
  return globalsOf(command).trunc === false || command.opts<{ trunc?: boolean }>().trunc === false;
}

export function outputOf(command: Command): Output {
  return new Output({ json: globalsOf(command).json === true, noTrunc: noTruncOf(command) });
}

/** The configuration from the global flags, the environment and the config file. Fails with ECONFIG. */
export function configOf(command: Command): Promise<StrataConfig> {
  const g = globalsOf(command);
  return loadConfig({
    ...(g.root !== undefined ? { root: g.root } : {}),
    ...(g.driver !== undefined ? { driver: g.driver } : {}),
    ...(g.config !== undefined ? { config: g.config } : {}),
  });
}

/**
 * Opens the store the global flags name, runs `use`, and closes the store
 * whether `use` succeeds or fails. Fails with ECONFIG, EUNKNOWNDRIVER,
 * EDRIVERUNAVAILABLE, ELOCKED as Store.open does.
 */
export async function withStore<T>(command: Command, use: (store: Store) => Promise<T>): Promise<T> {
  const config = await configOf(command);
  const store = await Store.open({ config, driverModules: builtinDriverModules });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** What a store command's body receives. */
export interface StoreCommandContext<Options> {
  readonly store: Store;
  readonly out: Output;
  /** The positional arguments, in the order they were declared. */
  readonly args: readonly string[];
  readonly options: Options;
}

/**
 * Adds `name` to `group` as a command whose body runs on the open store (see
 * `withStore`). Declare its arguments and options on the returned command.
 */
export function storeCommand<Options extends object = object>(
  group: Command,
  name: string,
  description: string,
  run: (ctx: StoreCommandContext<Options>) => Promise<unknown>,
): Command {
  return group
    .command(name)
    .description(description)
    .action(async (...params: unknown[]) => {
      // commander passes the declared arguments, then the options, then the command.
      const command = params.at(-1) as Command;
      const options = params.at(-2) as Options;
      const args = params.slice(0, -2) as string[];
      const out = outputOf(command);
      await withStore(command, (store) => run({ store, out, args, options }));
    });
}

/** What a Docker-style command's body receives (`storeAction`). */
export interface StoreActionContext<Options> {
  readonly store: Store;
  readonly out: Output;
  /** The positional arguments, variadic ones spread. */
  readonly args: string[];
  readonly options: Options;
  /** `--no-trunc` was given. */
  readonly noTrunc: boolean;
}

/** Makes `body` the command's action, run on the open store (see `withStore`). */
export function storeAction<Options>(command: Command, body: (ctx: StoreActionContext<Options>) => Promise<unknown>): Command {
  return command.action(async (...params: unknown[]) => {
    const cmd = params.at(-1) as Command;
    const options = params.at(-2) as Options;
    const args = (params.slice(0, -2) as (string | string[])[]).flat();
    await withStore(cmd, (store) => body({ store, out: outputOf(cmd), args, options, noTrunc: noTruncOf(cmd) }));
  });
}

/** A repeatable option's collector: each occurrence appends its value. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
