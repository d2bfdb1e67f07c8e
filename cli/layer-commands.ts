import type { Command } from 'commander';
import type { Change, LayerInfo } from '../core/engine.js';
import { storeCommand, type StoreCommandContext } from './context.js';
import { STDIO, openInput, writeOutput } from './files.js';
import { formatBytes, formatTime, type Column, type Output } from './output.js';

const ID_HELP = 'a layer id, chain id or unique prefix of 12+ hex digits';

/** The columns of `layer ls`. */
function layerColumns(out: Output): Column<LayerInfo>[] {
  return [
    { header: 'id', value: (l) => out.id(l.id) },
    { header: 'parent', value: (l) => out.id(l.parent) },
    { header: 'size', value: (l) => formatBytes(l.size), right: true },
    { header: 'content', value: (l) => formatBytes(l.contentSize), right: true },
    { header: 'writable', value: (l) => l.writable },
    { header: 'refs', value: (l) => l.refCount, right: true },
    { header: 'mounts', value: (l) => l.mountCount, right: true },
    { header: 'created', value: (l) => formatTime(l.createdAt) },
  ];
}

/** `layer inspect` for people: one `key: value` line per field, full ids. */
function inspectLines(l: LayerInfo): string[] {
  return [
    `id:           ${l.id}`,
    `parent:       ${l.parent ?? '-'}`,
    `diff id:      ${l.diffId ?? '-'}`,
    `chain id:     ${l.chainId ?? '-'}`,
    ...(l.compressedDigest !== undefined ? [`gzip digest:  ${l.compressedDigest}`] : []),
    `driver:       ${l.driver}`,
    `writable:     ${l.writable ? 'yes' : 'no'}`,
    `size:         ${l.size} bytes (${formatBytes(l.size)}, uncompressed tar)`,
    `content:      ${l.contentSize} bytes (${formatBytes(l.contentSize)})`,
    `references:   ${l.refCount}`,
    `mounts:       ${l.mountCount}`,
    `created:      ${l.createdAt}`,
  ];
}

/** What `layer import` prints: the chain id (`sha256:...`), else the layer id. */
function importedName(l: LayerInfo): string {
  return l.chainId ?? l.id;
}

/** A `layer <name> <id>` command whose body gets the id and the open store. */
function idCommand<Options extends object = object>(
  group: Command,
  name: string,
  description: string,
  run: (ctx: StoreCommandContext<Options> & { readonly ref: string }) => Promise<unknown>,
): Command {
  return storeCommand<Options>(group, name, description, (ctx) => run({ ...ctx, ref: ctx.args[0]! })).argument('<id>', ID_HELP);
}

/** `strata layer ...` */
export function addLayerCommands(program: Command): void {
  const group = program.command('layer').description('layers: import, create, commit, list, diff, mount, remove');

  storeCommand<{ parent?: string }>(
    group,
    'import',
    'import an OCI layer tarball (plain or gzip) and print its chain id',
    async ({ store, out, args, options }) => {
      const input = await openInput(args[0]!, 'import');
      const layer = await store.layers.importLayer(input, options.parent !== undefined ? { parent: options.parent } : {});
      out.value(layer, () => importedName(layer));
    },
  )
    .argument('<file>', `the tarball; ${STDIO} reads stdin`)
    .option('--parent <id>', 'the layer to apply it on (default: a base layer)');

  storeCommand<{ parent?: string; writable: boolean }>(
    group,
    'create',
    'create an empty layer and print its id',
    async ({ store, out, options }) => {
      const layer = await store.layers.createLayer({
        writable: options.writable,
        ...(options.parent !== undefined ? { parent: options.parent } : {}),
      });
      out.value(layer, () => layer.id);
    },
  )
    .option('--parent <id>', 'the layer to create it on (default: a base layer)')
    .option('--writable', 'allow changes through its mount', false);

  storeCommand(group, 'ls', 'list the layers', async ({ store, out }) => out.list(await store.layers.list(), layerColumns(out)));

  idCommand(group, 'inspect', 'show everything recorded about a layer', async ({ store, out, ref }) => {
    const layer = await store.layers.get(ref);
    out.value(layer, () => inspectLines(layer));
  });

  idCommand<{ output: string }>(
    group,
    'diff',
    "write the layer's changes as an uncompressed OCI layer tarball",
    async ({ store, ref, options }) => writeOutput(await store.layers.diff(ref), options.output, 'diff'),
  ).option('-o, --output <file>', `where to write it; ${STDIO} is stdout`, STDIO);

  idCommand(group, 'changes', 'list the paths the layer adds (A), changes (C) and deletes (D)', async ({ store, out, ref }) => {
    const changes: readonly Change[] = await store.layers.changes(ref);
    out.value(changes, () => changes.map((c) => `${c.kind} ${c.path}`));
  });

  idCommand(group, 'mount', "mount the layer's union and print the directory (reference-counted)", async ({ store, out, ref }) => {
    const path = await store.layers.mount(ref);
    out.value({ path }, () => path);
  });

  idCommand(group, 'umount', 'drop one mount reference; the last one unmounts', ({ store, ref }) => store.layers.unmount(ref)).alias(
    'unmount',
  );

  idCommand(group, 'commit', 'make a writable layer read-only under its chain id, without copying it; print the chain id', async ({ store, out, ref }) => {
    const layer = await store.layers.commit(ref);
    out.value(layer, () => importedName(layer));
  });

  storeCommand(group, 'df', 'disk space and inodes each layer holds, and the total', async ({ store, out }) => {
    const usage = await store.layers.diskUsage();
    const total = { id: 'total', ...usage.total };
    out.list(
      [...usage.layers, total],
      [
        { header: 'layer', value: (r) => (r === total ? 'total' : out.id(r.id)) },
        { header: 'disk', value: (r) => formatBytes(r.bytes), right: true },
        { header: 'inodes', value: (r) => r.inodes, right: true },
        { header: 'shared', value: (r) => (r.sharedBytes ? formatBytes(r.sharedBytes) : undefined), right: true },
      ],
      usage,
    );
  });

  idCommand(group, 'rm', 'drop one reference to the layer; the last one deletes it', ({ store, ref }) => store.layers.remove(ref));
}
