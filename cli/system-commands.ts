import type { Command } from 'commander';
import { migrateRoot } from '../core/engine.js';
import { builtinDriverModules } from '../drivers/index.js';
import { imagesSpace } from '../core/image-ops/disk-usage.js';
import { familiarName, parseReference } from '../core/images/index.js';
import { configOf, outputOf, storeCommand } from './context.js';
import { FORMAT_HELP, printFormatted, templateFormat } from './format-flag.js';
import { printDiskUsageVerbose } from './disk-usage-format.js';
import { createdAgo, formatDockerTable, humanSize, imageSize, reclaimableCell, truncateId } from './format/index.js';
import { createdOf } from './image-commands.js';
import { PRUNE_WARNINGS, confirmPrune, pruneContainers, pruneImages, pruneReport } from './prune.js';
import { buildCacheUsage, pruneBuildCache } from '../core/build/exec/prune-cache.js';

/** `strata system ...` */
export function addSystemCommands(program: Command): void {
  const group = program.command('system').description('the store as a whole');

  storeCommand<{ verbose: boolean; format?: string }>(group, 'df', 'show disk usage: images, containers, build cache', async ({ store, out, options }) => {
    const space = imagesSpace(store, (id) => store.containers.containersOf(id));
    const containers = store.containers.list();
    const running = containers.filter((c) => store.containers.isRunning(c)).length;
    const cache = buildCacheUsage(store);
    const rows = [
      { type: 'Images', total: space.total, active: space.active, size: space.size, reclaimable: space.reclaimable },
      { type: 'Containers', total: containers.length, active: running, size: 0, reclaimable: 0 },
      { type: 'Build Cache', total: cache.entries, active: 0, size: cache.size, reclaimable: cache.size },
    ];
    if (templateFormat(options.format) && !options.verbose) return printFormatted(options.format, (c) => c.diskUsageSource(rows));
    if (templateFormat(options.format)) return printDiskUsageVerbose(store, space, options.format);
    if (out.json) return out.jsonDocument({ summary: rows, images: space.images.map((i) => ({ id: `sha256:${i.image.id}`, names: i.image.names, size: i.size, shared: i.shared, unique: i.unique, containers: i.containers })) });
    if (!options.verbose) {
      const table = rows.map((r) => [r.type, String(r.total), String(r.active), humanSize(r.size), reclaimableCell(r.reclaimable, r.size)]);
      return process.stdout.write(formatDockerTable([['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], ...table]));
    }
    const created = await Promise.all(space.images.map((i) => createdOf(store, i.image)));
    const perImage = space.images.flatMap((i, n) => {
      const names = i.image.names.length === 0 ? [undefined] : [i.image.names[0]];
      return names.map((name) => {
        const ref = name === undefined ? undefined : parseReference(name);
        return [ref ? familiarName(ref) : '<none>', ref?.tag ?? '<none>', truncateId(i.image.id), createdAgo(created[n]!), imageSize(i.size), imageSize(i.shared), humanSize(i.unique), String(i.containers)];
      });
    });
    process.stdout.write('Images space usage:\n\n');
    process.stdout.write(formatDockerTable([['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], ...perImage]));
    process.stdout.write('\nContainers space usage:\n\n');
    process.stdout.write(formatDockerTable([['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES']]));
    process.stdout.write(`\nBuild cache usage: ${humanSize(cache.size)}\n\n`);
    process.stdout.write(formatDockerTable([['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED']]));
  })
    .option('-v, --verbose', 'show detailed information on space usage', false)
    .option('--format <string>', FORMAT_HELP);

  storeCommand<{ all: boolean; force: boolean }>(group, 'prune', 'remove stopped containers, dangling images and the build cache (with -a, every image no container uses)', async ({ store, out, options }) => {
    if (!(await confirmPrune(options.force, PRUNE_WARNINGS.system(options.all)))) return process.stdout.write(pruneReport({ reclaimed: 0 }));
    const containers = await pruneContainers(store);
    const images = await pruneImages(store, options.all);
    const cache = await pruneBuildCache(store);
    const report = { containers, events: images.events, buildCache: cache.deleted, reclaimed: images.reclaimed + cache.reclaimed };
    if (out.json) return out.jsonDocument(report);
    process.stdout.write(pruneReport(report));
  })
    .option('-a, --all', 'remove all unused images, not just dangling ones', false)
    .option('-f, --force', 'do not prompt for confirmation', false);

  storeCommand(
    group,
    'check',
    "verify every layer's content against its diff id; exit 1 naming each layer that fails",
    async ({ store, out }) => {
      const failures = await store.layers.check();
      out.value({ ok: failures.length === 0, failures }, () =>
        failures.length === 0 ? 'ok: every layer matches its diff id' : failures.map((f) => `FAIL ${f.id}: ${f.reason}`),
      );
      if (failures.length > 0) process.exitCode = 1;
    },
  );

  group
    .command('migrate')
    .description('move every layer to another driver, keeping every id (resumable: run it again after an interruption)')
    .requiredOption('--to <driver>', 'the driver to move to')
    .action(async (options: { to: string }, command: Command) => {
      const out = outputOf(command);
      const config = await configOf(command);
      const report = await migrateRoot({ config, driverModules: builtinDriverModules }, options.to);
      out.value(report, () =>
        report.from === report.to && report.copied === 0
          ? `the store is in driver ${report.to} already`
          : `moved ${report.copied + report.resumed} layer(s) from ${report.from} to ${report.to}${report.resumed > 0 ? ` (${report.resumed} copied by an earlier, interrupted run)` : ''}`,
      );
    });
}
