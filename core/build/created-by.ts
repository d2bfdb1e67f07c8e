/**
 * History `created_by` strings exactly as Docker's classic builder writes them, e.g.
 *
 *     /bin/sh -c #(nop)  CMD ["/hello"]            metadata (two spaces; the shell is SHELL's)
 *     /bin/sh -c #(nop) WORKDIR /srv              WORKDIR (one space)
 *     /bin/sh -c #(nop) ADD file:<hex> in /       ADD/COPY (one space, a trailing space)
 *     /bin/sh -c yum install -y vim               RUN, shell form
 *     |1 A=b /bin/sh -c echo $A                   RUN when build args reach it
 *     |0 /bin/sh -c echo $HTTP_PROXY              … only proxy args (they are not listed)
 */
import type { StageArgs } from './build-args.js';
import type { BuildConfig } from './image-config.js';
import { shellOf } from './image-config.js';
import type { CommandForm } from './instructions.js';

/**
 * The step's command as Docker's classic builder puts it in the image's `container_config.Cmd`
 * (created_by is it joined by spaces), for a metadata step: `comment` as metadata.ts returns
 * it. One that starts with a space (every metadata instruction) is a word of its own after
 * `#(nop) ` (`["/bin/sh","-c","#(nop) ","CMD [\"/hello\"]"]`); WORKDIR's and ADD/COPY's are
 * in the same word (`["/bin/sh","-c","#(nop) WORKDIR /srv"]`).
 */
export function nopCmd(config: BuildConfig, comment: string): string[] {
  return comment.startsWith(' ') ? [...shellOf(config), '#(nop) ', comment.slice(1)] : [...shellOf(config), `#(nop) ${comment}`];
}

/** For a metadata step: `comment` as metadata.ts returns it (it starts with a space, except WORKDIR's). */
export function createdByNop(config: BuildConfig, comment: string): string {
  return nopCmd(config, comment).join(' ');
}

/**
 * The argv of a command under `config`: exec form as is, shell form through the shell
 * (an empty shell form — `CMD` alone — is the shell alone, as Docker stores it).
 */
export function runArgv(config: BuildConfig, command: CommandForm): string[] {
  if ('exec' in command) return [...command.exec];
  return command.shell === '' ? shellOf(config) : [...shellOf(config), command.shell];
}

/** For a RUN, its container_config.Cmd: `|N`, then the `K=V` build args that reached it, when any did; then the argv. */
export function runCmd(config: BuildConfig, command: CommandForm, args: StageArgs): string[] {
  const argv = runArgv(config, command);
  if (!args.hasPrefix(config.Env)) return argv;
  const used = args.used(config.Env);
  return [`|${used.length}`, ...used, ...argv];
}

/** For a RUN: the `|N K=V …` prefix when any build arg reached it, then the argv joined by spaces. */
export function createdByRun(config: BuildConfig, command: CommandForm, args: StageArgs): string {
  return runCmd(config, command, args).join(' ');
}

/**
 * For an ADD or COPY, its container_config.Cmd: `sourceHash` is `file:<hex>`, `dir:<hex>` or `multi:<hex>`
 * (see source-hash.ts), preceded by `--chown=<spec>` with no space when the flag is given
 * (Docker's own spacing); `dest` as written after expansion, not made absolute
 * (`in ./file-copy `).
 */
export function copyCmd(config: BuildConfig, keyword: 'ADD' | 'COPY', sourceHash: string, dest: string): string[] {
  return nopCmd(config, `${keyword} ${sourceHash} in ${dest} `);
}

/** copyCmd joined: the ADD/COPY created_by. */
export function createdByCopy(config: BuildConfig, keyword: 'ADD' | 'COPY', sourceHash: string, dest: string): string {
  return copyCmd(config, keyword, sourceHash, dest).join(' ');
}

/**
 * `--label` values: after the last instruction Docker adds one LABEL step per label,
 * sorted by key; they win over LABEL instructions. Returns the metadata comments.
 */
export function cliLabelComments(labels: Readonly<Record<string, string>>): { key: string; value: string; comment: string }[] {
  return Object.keys(labels).sort().map((key) => ({ key, value: labels[key]!, comment: ` LABEL ${key}=${labels[key]!}` }));
}
