import type { Command } from 'commander';
import { migrateRoot } from '../core/engine.js';
import { builtinDriverModules } from '../drivers/index.js';
import { configOf, outputOf, storeCommand } from './context.js';
import { formatBytes } from './output.js';

/** `strata system ...` */
export function addSystemCommands(program: Command): void {
  const group = program.command('system').description('the store as a whole');

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
