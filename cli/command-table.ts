import type { Command } from 'commander';
import { importModule } from '../core/runtime/import-module.js';
import type { CommandGroup } from './command-words.js';

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

/** The module that registers each group of commands (cli/command-words.ts says which words each group has). */
export const GROUP_LOADERS: Readonly<Record<CommandGroup, Loader>> = { driver, layer, system, image, container, registry, build, version, bench };

/** Every loader once, in help order; `bench` last (it may fail to load in help, and is then left out). */
export const ALL_LOADERS: readonly Loader[] = [driver, image, container, build, registry, layer, system, version];
export const BENCH_LOADER = bench;
