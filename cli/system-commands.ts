import type { Command } from 'commander';
import { storeCommand } from './context.js';
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
}
