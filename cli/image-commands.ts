import type { Command } from 'commander';
import { ErrorCode, StrataError } from '../core/engine.js';
import type { ImageRecord, RemovalEvent, Store } from '../core/engine.js';
// By file, not through image-ops/index.js: that also brings pull and push (the registry client) into this command group.
import { imageBytes, imagesSpace } from '../core/image-ops/disk-usage.js';
import { importImage } from '../core/image-ops/import-image.js';
import { loadImages } from '../core/image-ops/load-images.js';
import { saveImages } from '../core/image-ops/save-images.js';
import { historyImageIds } from '../core/image-ops/history-ids.js';
import { familiarName, familiarString, layerHistory, parseReference, parseTagTarget } from '../core/images/index.js';
import { collect, storeAction } from './context.js';
import { anyValue, labelsMatch, parseFilters, pathMatch, singleValue, type Filters } from './filters.js';
import { FORMAT_HELP, printFormatted, templateFormat } from './format-flag.js';
import { addInspectCommand } from './inspect-command.js';
import { PRUNE_WARNINGS, confirmPrune, pruneImages, pruneReport } from './prune.js';
import { STDIO, openInput } from './files.js';
import { createdAgo, ellipsis, formatDockerTable, humanSize, imageIdCell, imageSize, rfc3339Seconds, truncateId } from './format/index.js';

/** The keys `images --filter` takes (Docker's). */
const IMAGE_FILTERS = ['dangling', 'reference', 'label', 'before', 'since'];

/**
 * One `images` row per name (an untagged image: one `<none>` row), newest
 * image first (by its config's created time), narrowed by `repository` (a
 * name, or name:tag) and by Docker's filters: dangling=true|false,
 * reference=PATTERN (Go path.Match on name or name:tag), label=K[=V],
 * before=IMAGE, since=IMAGE (created before or after it).
 */
async function imageRows(store: Store, all: boolean, repository: string | undefined, filters: Filters) {
  for (const value of filters.get('dangling') ?? []) {
    if (value !== 'true' && value !== 'false') throw new StrataError(ErrorCode.EUSAGE, `invalid filter 'dangling=${value}'`);
  }
  const images = store.images.list();
  const parents = new Set(images.map((i) => i.parent).filter((p): p is string => p !== undefined));
  const dated = await Promise.all(images.map(async (image) => {
    const { config } = await store.images.config(image.id);
    return { image, created: createdFrom(config.created, image), labels: config.config?.Labels ?? null };
  }));
  dated.sort((a, b) => b.created.getTime() - a.created.getTime());
  const createdOfRef = (ref: string | undefined) => (ref === undefined ? undefined : dated.find((d) => d.image.id === store.images.get(ref).id)!.created);
  const before = createdOfRef(singleValue(filters, 'before'));
  const since = createdOfRef(singleValue(filters, 'since'));
  const rows = [];
  for (const { image, created, labels } of dated) {
    if ((before !== undefined && created >= before) || (since !== undefined && created <= since) || !labelsMatch(filters, labels)) continue;
    const size = imageBytes(store, image);
    const digest = image.repoDigests[0]?.split('@')[1] ?? '<none>';
    if (image.names.length === 0) {
      if (!all && parents.has(image.id)) continue;
      if (repository !== undefined || filters.has('reference') || !anyValue(filters, 'dangling', (v) => v === 'true')) continue;
      rows.push({ image, repo: '<none>', tag: '<none>', digest, created, size });
      continue;
    }
    if (!anyValue(filters, 'dangling', (v) => v === 'false')) continue;
    for (const name of image.names) {
      const ref = parseReference(name);
      const repo = familiarName(ref);
      const tag = ref.tag ?? '<none>';
      if (repository !== undefined && repo !== repository && familiarString(ref) !== repository) continue;
      if (!anyValue(filters, 'reference', (pattern) => pathMatch(pattern, repo) || pathMatch(pattern, `${repo}:${tag}`))) continue;
      rows.push({ image, repo, tag, digest, created, size });
    }
  }
  return rows;
}

/** When the image was made, from its config (registration time where the config has none). */
export async function createdOf(store: Store, image: ImageRecord): Promise<Date> {
  return createdFrom((await store.images.config(image.id)).config.created, image);
}

function createdFrom(configCreated: string | undefined, image: ImageRecord): Date {
  const created = new Date(configCreated ?? image.createdAt);
  return Number.isNaN(created.getTime()) ? new Date(image.createdAt) : created;
}

/** Docker's lines for removal events. */
function removalLines(events: readonly RemovalEvent[]): string[] {
  return events.map((e) => `${e.kind}: ${e.what}`);
}

/** `images`, `history`, `inspect`, `tag`, `rmi`, `import`, and `image …` for each. */
export function addImageCommands(program: Command): void {
  const image = program.command('image').description('manage images (ls, rm, history, inspect, tag, prune, import, mount, umount)');

  for (const [parent, name] of [[program, 'images'], [image, 'ls']] as const) {
    storeAction<{ all: boolean; quiet: boolean; digests: boolean; filter: string[]; format?: string }>(
      parent.command(name).description('list images').argument('[repository]', 'only this repository (or repository:tag)')
        .option('-a, --all', 'show all images (by default intermediate images are hidden)', false)
        .option('-f, --filter <filter>', 'filter output: dangling=true|false, reference=PATTERN, label=KEY[=VALUE], before=IMAGE, since=IMAGE (repeatable)', collect, [])
        .option('-q, --quiet', 'only show image ids', false)
        .option('--digests', 'show digests', false)
        .option('--format <string>', FORMAT_HELP)
        .option('--no-trunc', "don't truncate output"),
      async ({ store, out, args, options, noTrunc }) => {
        const rows = await imageRows(store, options.all, args[0], parseFilters(options.filter, IMAGE_FILTERS));
        // Docker: a custom format wins over -q (`--format table -q` is -q).
        if (templateFormat(options.format)) {
          const format = options.format;
          return printFormatted(format, (c) => c.imagesSource(rows.map((r) => ({ id: `sha256:${r.image.id}`, repo: r.repo, tag: r.tag, digest: r.digest, created: r.created, size: r.size })), !noTrunc, options.digests));
        }
        if (out.json) return out.jsonDocument(rows.map((r) => ({ Repository: r.repo, Tag: r.tag, Digest: r.digest, ID: `sha256:${r.image.id}`, CreatedAt: r.created.toISOString(), Size: r.size })));
        if (options.quiet) return process.stdout.write(rows.map((r) => `${imageIdCell(`sha256:${r.image.id}`, noTrunc)}\n`).join(''));
        const header = ['REPOSITORY', 'TAG', ...(options.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
        const body = rows.map((r) => [r.repo, r.tag, ...(options.digests ? [r.digest] : []), imageIdCell(`sha256:${r.image.id}`, noTrunc), createdAgo(r.created), imageSize(r.size)]);
        process.stdout.write(formatDockerTable([header, ...body]));
      },
    );
  }

  for (const [parent, name] of [[program, 'history'], [image, 'history']] as const) {
    storeAction<{ human: boolean; quiet: boolean; format?: string }>(
      parent.command(name).description('show the history of an image').argument('<image>')
        // Docker spells it `-H=false`; commander hands a short option's attached value over with its `=`.
        .option('-H, --human [bool]', 'print sizes and dates in human readable format', (v: string) => v.replace(/^=/, '') !== 'false', true)
        .option('-q, --quiet', 'only show image ids', false)
        .option('--format <string>', FORMAT_HELP)
        .option('--no-trunc', "don't truncate output"),
      async ({ store, out, args, options, noTrunc }) => {
        const record = store.images.get(args[0]!);
        const { config } = await store.images.config(record.id);
        const layerOf = new Map(record.layers.map((id) => [store.layers.get(id).diffId, id]));
        const steps = layerHistory(config).map((step) => ({ ...step, size: step.diffId === undefined ? 0 : store.layers.get(layerOf.get(step.diffId as never)!).contentSize }));
        const ids = await historyImageIds(store, record, steps.map((s) => s.entry));
        const rows = steps.map((s, i) => ({ ...s, imageId: ids[i] })).reverse().map((s) => ({ id: s.imageId === undefined ? '<missing>' : `sha256:${s.imageId}`, created: s.entry.created ?? '', createdBy: s.entry.created_by ?? '', size: s.size, comment: s.entry.comment ?? '' }));
        // Docker: a custom format wins over -q (`--format table -q` is -q).
        if (templateFormat(options.format)) return printFormatted(options.format, (c) => c.historySource(rows, !noTrunc, options.human));
        if (out.json) return out.jsonDocument(rows);
        if (options.quiet) return process.stdout.write(rows.map((r) => `${r.id === '<missing>' ? r.id : imageIdCell(r.id, noTrunc)}\n`).join(''));
        const human = options.human;
        const header = ['IMAGE', human ? 'CREATED' : 'CREATED AT', 'CREATED BY', 'SIZE', 'COMMENT'];
        const body = rows.map((r) => [
          r.id === '<missing>' ? r.id : imageIdCell(r.id, noTrunc),
          r.created === '' ? '' : human ? createdAgo(new Date(r.created)) : rfc3339Seconds(new Date(r.created)),
          noTrunc ? r.createdBy : ellipsis(r.createdBy, 45),
          human ? imageSize(r.size) : String(r.size),
          r.comment,
        ]);
        process.stdout.write(formatDockerTable([header, ...body]));
      },
    );
  }

  addInspectCommand(program, 'inspect', 'any');
  addInspectCommand(image, 'inspect', 'image');

  for (const [parent, name] of [[program, 'tag'], [image, 'tag']] as const) {
    storeAction(parent.command(name).description('create a tag TARGET that refers to SOURCE').argument('<source>').argument('<target>'), async ({ store, args }) => {
      store.images.tag(args[0]!, parseTagTarget(args[1]!));
    });
  }

  for (const [parent, name] of [[program, 'rmi'], [image, 'rm']] as const) {
    storeAction<{ force: boolean; prune: boolean }>(
      parent.command(name).description('remove one or more images').argument('<image...>')
        .option('-f, --force', 'force removal of the image', false)
        .option('--no-prune', 'do not delete untagged parents'),
      async ({ store, out, args, options }) => {
        const events: RemovalEvent[] = [];
        let failure: unknown;
        for (const ref of args) {
          try {
            const got = await store.root.lock.run('rmi', () => store.images.removeLocked(ref, { force: options.force, noPrune: !options.prune, usedBy: (id) => store.containers.usedBy(id) }));
            events.push(...got);
            if (!out.json) process.stdout.write(removalLines(got).map((l) => `${l}\n`).join(''));
          } catch (err) {
            if (args.length === 1) throw err;
            process.stderr.write(`strata: ${(err as Error).message}\n`);
            failure = err;
          }
        }
        if (out.json) out.jsonDocument(events);
        if (failure !== undefined) process.exitCode = 1;
      },
    );
  }

  storeAction<{ all: boolean; force: boolean }>(
    image.command('prune').description('remove dangling images (with -a, every image no container uses)')
      .option('-a, --all', 'remove all unused images, not just dangling ones', false)
      .option('-f, --force', 'do not prompt for confirmation', false),
    async ({ store, out, options }) => {
      if (!(await confirmPrune(options.force, options.all ? PRUNE_WARNINGS.unusedImages : PRUNE_WARNINGS.danglingImages))) return process.stdout.write(pruneReport({ reclaimed: 0 }));
      const result = await pruneImages(store, options.all);
      if (out.json) return out.jsonDocument(result);
      process.stdout.write(pruneReport(result));
    },
  );

  for (const [parent, name] of [[program, 'import'], [image, 'import']] as const) {
    storeAction<{ change: string[]; message?: string }>(
      parent.command(name).description('import the contents from a tarball to create a filesystem image').argument('<file>', `a tarball, plain or gzip; ${STDIO} reads stdin`).argument('[repository]', 'REPOSITORY[:TAG]')
        .option('-c, --change <instruction>', 'apply a Dockerfile instruction to the image (repeatable)', collect, [])
        .option('-m, --message <message>', 'set the commit message for the imported image'),
      async ({ store, out, args, options }) => {
        const name = args[1] === undefined ? undefined : parseTagTarget(args[1]);
        const input = await openInput(args[0]!, 'import');
        const id = await importImage(store, input, { changes: options.change, ...(name ? { name } : {}), ...(options.message === undefined ? {} : { message: options.message }) });
        out.value({ id: `sha256:${id}` }, () => `sha256:${id}`);
      },
    );
  }

  for (const [parent, name] of [[program, 'load'], [image, 'load']] as const) {
    storeAction<{ input?: string; quiet: boolean }>(
      parent.command(name).description('load images from a docker-archive, an oci-archive or an OCI layout directory (detected from the content)')
        .option('-i, --input <file>', `the archive or layout directory; ${STDIO} (the default) reads stdin`)
        .option('-q, --quiet', 'suppress the load output', false),
      async ({ store, out, options }) => {
        const loaded = await loadImages(store, options.input ?? STDIO);
        if (out.json) return out.jsonDocument(loaded.map((l) => ({ id: `sha256:${l.id}`, names: l.names.map(familiarString) })));
        if (options.quiet) return;
        const lines = loaded.flatMap((l) => (l.names.length === 0 ? [`Loaded image ID: sha256:${l.id}`] : l.names.map((n) => `Loaded image: ${familiarString(n)}`)));
        process.stdout.write(lines.map((l) => `${l}\n`).join(''));
      },
    );
  }

  for (const [parent, name] of [[program, 'save'], [image, 'save']] as const) {
    storeAction<{ output?: string; format: string }>(
      parent.command(name).description('save images to an archive (docker-archive by default) or an OCI layout directory').argument('<image...>')
        .option('-o, --output <file>', 'write to this file (or directory, for oci-dir) instead of stdout')
        .option('--format <format>', 'docker-archive, oci-archive or oci-dir', 'docker-archive'),
      async ({ store, args, options }) => {
        if (!['docker-archive', 'oci-archive', 'oci-dir'].includes(options.format)) {
          throw new StrataError(ErrorCode.EUSAGE, `invalid --format ${JSON.stringify(options.format)}: use docker-archive, oci-archive or oci-dir`);
        }
        const format = options.format as 'docker-archive' | 'oci-archive' | 'oci-dir';
        if (options.output === undefined || options.output === STDIO) {
          if (format === 'oci-dir') throw new StrataError(ErrorCode.EUSAGE, 'save --format oci-dir needs -o DIR');
          if (process.stdout.isTTY) throw new StrataError(ErrorCode.EUSAGE, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
          return saveImages(store, args, format, process.stdout);
        }
        await saveImages(store, args, format, options.output);
      },
    );
  }

  storeAction(image.command('mount').description("mount an image's root filesystem read-only and print the directory (reference-counted)").argument('<image>'), async ({ store, out, args }) => {
    const record = store.images.get(args[0]!);
    const top = topLayer(record);
    const path = await store.layers.mount(top);
    out.value({ path }, () => path);
  });

  storeAction(image.command('umount').alias('unmount').description("drop one mount reference of an image's root filesystem").argument('<image>'), async ({ store, args }) => {
    await store.layers.unmount(topLayer(store.images.get(args[0]!)));
  });
}

function topLayer(record: ImageRecord): string {
  const top = record.layers.at(-1);
  if (top === undefined) throw new StrataError(ErrorCode.EUNSUPPORTED, `image ${truncateId(record.id)} has no layers to mount`);
  return top;
}

