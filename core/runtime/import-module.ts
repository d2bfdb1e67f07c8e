/** Where the command line's launcher puts its own import function (cli/launcher.ts, `provideImporter`). */
const IMPORT_HOOK: unique symbol = Symbol.for('strata.importModule') as never;

/** An import function: a module's namespace. */
type Importer = (specifier: string) => Promise<Record<string, unknown>>;

/** The global the hook lives in (one per process, whichever copy of this module reads it). */
const hooks = globalThis as { [IMPORT_HOOK]?: Importer };

/** Makes `importModule` load through `importer` (the launcher's, compiled outside the cached script). */
export function provideImporter(importer: Importer): void {
  hooks[IMPORT_HOOK] = importer;
}

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
  const hook = hooks[IMPORT_HOOK];
  return hook !== undefined ? hook(specifier) : import(specifier);
}
