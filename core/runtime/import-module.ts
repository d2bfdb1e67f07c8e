/** Where the command line's launcher puts its own import function (cli/launcher.ts). */
export const IMPORT_HOOK: unique symbol = Symbol.for('strata.importModule') as never;

/** An import function: a module's namespace. */
export type Importer = (specifier: string) => Promise<Record<string, unknown>>;

/**
 * import() of a module outside the code that asks: a driver plugin (a package
 * name or an absolute path), fuse-native, the benchmarks (a file URL). Not for
 * relative specifiers, which would resolve against this file.
 *
 * The command line runs as one script compiled from V8's code cache
 * (cli/launcher.ts), and in code read from a cache Node's import() fails ("A
 * dynamic import callback was not specified"); there the launcher's import
 * function, compiled the usual way, loads the module.
 */
export function importModule(specifier: string): Promise<Record<string, unknown>> {
  const hook = (globalThis as { [IMPORT_HOOK]?: Importer })[IMPORT_HOOK];
  return hook !== undefined ? hook(specifier) : import(specifier);
}
