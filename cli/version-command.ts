import type { Command } from 'commander';
import { hostPlatform } from '../core/images/image-config.js';
import { strataVersion } from '../core/version.js';

/** `strata version`: what `podman version` shows of a client (strata has no server); `--json` as an object. */
export function addVersionCommand(program: Command): void {
  program.command('version').description('show the strata version information').action((_options: object, command: Command) => {
    const info = { Version: strataVersion(), NodeVersion: process.version, OsArch: `${hostPlatform().os}/${hostPlatform().architecture}` };
    const text = command.optsWithGlobals<{ json?: boolean }>().json === true
      ? JSON.stringify(info, null, 2)
      : [`Version:      ${info.Version}`, `Node Version: ${info.NodeVersion}`, `OS/Arch:      ${info.OsArch}`].join('\n');
    process.stdout.write(`${text}\n`);
  });
}
