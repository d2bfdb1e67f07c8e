import type { Command } from 'commander';
import { ErrorCode, StrataError, isStrataError, type Store } from '../core/engine.js';
import { exitStatusOf } from './exit-status.js';
import { storeAction } from './context.js';
import { printInspectFormatted } from './format-flag.js';
import { imageLabels } from './image-labels.js';

/** What `inspect` looks among: Docker's `inspect` tries containers, then images; `image inspect` and `container inspect` one kind. */
export type InspectKind = 'any' | 'image' | 'container';

/** The `inspect` document of `ref` (see core/image-ops/inspect.ts, core/containers/inspect-container.ts). Fails with ENOIMAGE / ENOCONTAINER. */
async function documentOf(store: Store, ref: string, kind: InspectKind): Promise<Record<string, unknown>> {
  if (kind !== 'image') {
    try {
      const c = store.containers.get(ref);
      const { inspectContainer } = await import('../core/containers/inspect-container.js');
      const labels = await imageLabels(store, store.images.list().find((i) => i.id === c.image));
      return inspectContainer(c, store.containers.isRunning(c), store.layers.driverName, labels);
    } catch (err) {
      if (kind === 'container' || !(err instanceof StrataError) || err.code !== ErrorCode.ENOCONTAINER) throw err;
    }
  }
  const [{ inspectImage }, { imageBytes }] = await Promise.all([import('../core/image-ops/inspect.js'), import('../core/image-ops/disk-usage.js')]);
  const record = store.images.get(ref);
  const { config } = await store.images.config(record.id);
  return inspectImage(record, config, imageBytes(store, record), { name: store.layers.driverName, data: null });
}

/**
 * Adds `name` under `parent`: a JSON array of the objects named (4-space
 * indents, as Docker), or with `-f/--format` a Go template per object
 * (cli/format/inspect-format.ts; `json`: one compact array).
 */
export function addInspectCommand(parent: Command, name: string, kind: InspectKind): void {
  const what = kind === 'any' ? 'containers or images' : `${kind}s`;
  const command = parent.command(name).description(`show everything recorded about ${what}, as a JSON array`).argument(`<${kind === 'any' ? 'name|id' : kind}...>`)
    .option('-f, --format <string>', "format the output using a Go template ('json': one compact JSON array)");
  if (kind === 'any') command.option('--type <type>', 'only look among objects of this type: container or image');
  storeAction<{ format?: string; type?: string }>(
    command,
    async ({ store, args, options }) => {
      if (options.type !== undefined && options.type !== 'container' && options.type !== 'image') {
        throw new StrataError(ErrorCode.EUSAGE, `"${options.type}" is not a valid value for --type: use container or image`);
      }
      const among: InspectKind = (options.type as InspectKind | undefined) ?? kind;
      // As Docker: what is found is printed, each name not found is one line on stderr, and the status says so.
      const docs = [];
      const missing: string[] = [];
      for (const ref of args) {
        try {
          docs.push(await documentOf(store, ref, among));
        } catch (err) {
          if (!isStrataError(err, ErrorCode.ENOIMAGE) && !isStrataError(err, ErrorCode.ENOCONTAINER)) throw err;
          missing.push(among === 'any' ? `No such object: ${ref}` : err.message);
        }
      }
      if (options.format === undefined || options.format === '') process.stdout.write(JSON.stringify(docs, null, 4) + '\n');
      else {
        const { typedInspectView } = await import('./format/inspect-format.js');
        await printInspectFormatted(options.format, docs.map((doc) => ({ typed: typedInspectView(doc), raw: JSON.parse(JSON.stringify(doc)) as unknown })));
      }
      for (const line of missing) process.stderr.write(`strata: ${line}\n`);
      if (missing.length > 0) process.exitCode = exitStatusOf(ErrorCode.ENOIMAGE);
    },
  );
}
