import type { Command } from 'commander';
import {
  buildContainer,
  registeredDrivers,
  resolveDriver,
  defaultCapabilities,
  type DriverCapabilities,
  type StorageDriver,
  type ProbeResult,
} from '../core/index.js';
import { builtinDriverModules } from '../drivers/index.js';
import { configOf, outputOf } from './context.js';

interface DriverRow {
  readonly name: string;
  /** The driver the configuration selects. */
  readonly selected: boolean;
  readonly available: boolean;
  readonly reason?: string;
  readonly capabilities: DriverCapabilities;
}

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

/**
 * Every registered driver (built-in and plugins), probed: whether it can work
 * here and why not. Probing creates no layer and calls no `init`.
 */
async function listDrivers(command: Command): Promise<DriverRow[]> {
  const config = await configOf(command);
  const names = registeredDrivers(await buildContainer(config, builtinDriverModules));
  const rows: DriverRow[] = [];
  for (const name of names) {
    let driver: StorageDriver;
    try {
      driver = await resolveDriver(await buildContainer(config, builtinDriverModules, name), name);
    } catch (err) {
      // A plugin whose driver cannot even be constructed is listed, not fatal.
      rows.push({ name, selected: name === config.driver, available: false, reason: (err as Error).message, capabilities: defaultCapabilities });
      continue;
    }
    const probe: ProbeResult = await driver.probe();
    rows.push({
      name,
      selected: name === config.driver,
      available: probe.ok,
      ...(probe.reason !== undefined ? { reason: probe.reason } : {}),
      capabilities: driver.capabilities,
    });
  }
  return rows;
}

/** `strata driver ...` */
export function addDriverCommands(program: Command): void {
  const group = program.command('driver').description('storage drivers');

  group
    .command('ls')
    .description('list the registered drivers, whether each works here (and why not), and its capabilities')
    .action(async (_options: object, command: Command) => {
      const out = outputOf(command);
      out.list(await listDrivers(command), [
        { header: 'driver', value: (d) => (d.selected ? `${d.name} *` : d.name) },
        { header: 'available', value: (d) => (d.available ? 'yes' : `no: ${d.reason ?? 'unavailable'}`) },
        { header: 'capabilities', value: (d) => capabilityText(d.capabilities) },
        { header: 'note', value: (d) => (d.available ? d.reason : undefined) },
      ]);
    });
}
