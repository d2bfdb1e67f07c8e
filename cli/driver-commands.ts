import type { Command } from 'commander';
import { listDrivers, type DriverCapabilities } from '../core/engine.js';
import { builtinDriverModules } from '../drivers/index.js';
import { configOf, outputOf } from './context.js';

/** `nativeDiff mount=kernel snapshot=constant ...`: the capabilities in one cell. */
function capabilityText(caps: DriverCapabilities): string {
  const flags = [
    caps.nativeDiff ? 'native-diff' : 'naive-diff',
    `mount=${caps.mountKind}`,
    `snapshot=${caps.snapshotCost}`,
  ];
  if (!caps.renameDirectories) flags.push('no-dir-rename');
  if (!caps.xattrs) flags.push('no-xattrs');
  if (Number.isFinite(caps.maxDepth)) flags.push(`max-depth=${caps.maxDepth}`);
  return flags.join(' ');
}

/** `strata driver ...` */
export function addDriverCommands(program: Command): void {
  const group = program.command('driver').description('storage drivers');

  group
    .command('ls')
    .description('list the registered drivers, whether each works here (and why not), and its capabilities')
    .action(async (_options: object, command: Command) => {
      const out = outputOf(command);
      out.list(await listDrivers(await configOf(command), builtinDriverModules), [
        { header: 'driver', value: (d) => (d.selected ? `${d.name} *` : d.name) },
        { header: 'available', value: (d) => (d.available ? 'yes' : `no: ${d.reason ?? 'unavailable'}`) },
        { header: 'capabilities', value: (d) => capabilityText(d.capabilities) },
        { header: 'note', value: (d) => (d.available ? d.reason : undefined) },
      ]);
    });
}
