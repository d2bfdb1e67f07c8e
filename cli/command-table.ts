import type { Command } from 'commander';
import { importModule } from '../core/runtime/import-module.js';

/** Adds one group of commands to the program. */
type Register = (program: Command) => void;

/** Loads the module that registers a group of commands. */
type Loader = () => Promise<Register>;

const driver: Loader = async () => (await import('./driver-commands.js')).addDriverCommands;
const layer: Loader = async () => (await import('./layer-commands.js')).addLayerCommands;
const system: Loader = async () => (await import('./system-commands.js')).addSystemCommands;
const image: Loader = async () => (await import('./image-commands.js')).addImageCommands;
const container: Loader = async () => (await import('./container-commands.js')).addContainerCommands;
const registry: Loader = async () => (await import('./registry-commands.js')).addRegistryCommands;
const build: Loader = async () => (await import('./build-commands.js')).addBuildCommands;
const version: Loader = async () => (await import('./version-command.js')).addVersionCommand;
// bench-command.js is not bundled (scripts/bundle.mjs): beside the bundle, a module re-exports it
const bench: Loader = async () => (await importModule(new URL('./bench-command.js', import.meta.url).href)).addBenchCommand as Register;

/**
 * Which module registers each top-level word, so that a command loads only the
 * code it runs (CLI start time is module loading). Every loader, in help order,
 * for help and for words not listed (commander then reports them).
 */
export const COMMAND_LOADERS: Readonly<Record<string, Loader>> = {
  driver,
  layer,
  system,
  image, images: image, history: image, inspect: image, tag: image, rmi: image, import: image, load: image, save: image,
  container, create: container, run: container, start: container, ps: container, diff: container, commit: container, export: container, rm: container,
  pull: registry, push: registry, login: registry, logout: registry,
  build, builder: build,
  version,
  bench,
};

/** Every loader once, in help order; `bench` last (it may fail to load in help, and is then left out). */
export const ALL_LOADERS: readonly Loader[] = [driver, image, container, build, registry, layer, system, version];
export const BENCH_LOADER = bench;
