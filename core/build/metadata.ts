/**
 * The image-config effect and the history text of each metadata instruction (every
 * instruction but FROM, RUN, ADD and COPY), as pure functions over a BuildConfig:
 * one function per instruction, like moby's `builder/dockerfile/dispatchers.go`.
 * Instructions must already be expanded (expand.ts). The input config is never modified.
 *
 * - CMD sets Cmd (shell form: the shell + the text) and marks `cmdSet` for the stage.
 * - ENTRYPOINT sets Entrypoint (`[]` → null) and drops an inherited Cmd (→ null) unless
 *   a CMD was set earlier in the same stage.
 * - ENV replaces a variable in place or appends it; LABEL sets labels; EXPOSE adds
 *   `port/proto` keys (tcp by default, ranges expanded); VOLUME adds paths; WORKDIR
 *   resolves against the previous one; USER, STOPSIGNAL, SHELL set their field;
 *   HEALTHCHECK sets Test and the options (NONE → Test ["NONE"]); MAINTAINER sets the
 *   image's author; ONBUILD appends the trigger as written; ARG changes nothing.
 *
 * Fails with EBUILD (file, line, instruction) on an invalid port, duration or retries.
 */
import { posix } from 'node:path';
import type { BuildConfig, HealthConfig } from './image-config.js';
import { withEnv } from './image-config.js';
import { runArgv } from './created-by.js';
import { goDuration, goList, goQuoteList, goQuoteRune, parseGoDuration } from './go-format.js';
import type { CommandForm, Instruction } from './instructions.js';
import { buildError } from './parse-dockerfile.js';

export type MetadataInstruction = Exclude<Instruction, { keyword: 'FROM' | 'RUN' | 'ADD' | 'COPY' }>;

/** What a stage carries between instructions besides its config. */
export interface StageMeta {
  /** A CMD was set in this stage (ENTRYPOINT then keeps Cmd). */
  cmdSet: boolean;
  /** The image's author, from MAINTAINER. */
  author?: string;
}

export interface MetadataResult {
  config: BuildConfig;
  meta: StageMeta;
  /** The history text after `#(nop) ` (e.g. ` CMD ["/hello"]`); see createdByNop. */
  comment: string;
}

/** Applies `inst` to `config`. */
export function applyMetadata(config: BuildConfig, meta: StageMeta, inst: MetadataInstruction, file = 'Dockerfile'): MetadataResult {
  const c: BuildConfig = structuredClone(config);
  const m: StageMeta = { ...meta };
  const fail = (message: string): never => { throw buildError(file, inst.line, inst.keyword, message); };
  const argv = (cmd: CommandForm): string[] => runArgv(c, cmd);
  let comment: string;
  switch (inst.keyword) {
    case 'CMD':
      c.Cmd = argv(inst.command);
      m.cmdSet = true;
      comment = ` CMD ${goQuoteList(c.Cmd)}`;
      break;
    case 'ENTRYPOINT': {
      const ep = argv(inst.command);
      c.Entrypoint = ep.length === 0 ? null : ep;
      if (!m.cmdSet) c.Cmd = null;
      comment = ` ENTRYPOINT ${goQuoteList(ep)}`;
      break;
    }
    case 'ENV':
      for (const { key, value } of inst.pairs) c.Env = withEnv(c.Env, key, value);
      comment = ' ENV' + inst.pairs.map((p) => ` ${p.key}=${p.value}`).join('');
      break;
    case 'LABEL':
      c.Labels = { ...(c.Labels ?? {}) };
      for (const { key, value } of inst.pairs) c.Labels[key] = value;
      comment = ' LABEL' + inst.pairs.map((p) => ` ${p.key}=${p.value}`).join('');
      break;
    case 'ARG':
      comment = ' ARG' + inst.args.map((a) => ` ${a.key}${a.value === undefined ? '' : `=${a.value}`}`).join('');
      break;
    case 'EXPOSE': {
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const spec of inst.ports) for (const port of parsePortSpec(spec, fail)) c.ExposedPorts[port] = {};
      comment = ` EXPOSE ${inst.ports.join(' ')}`;
      break;
    }
    case 'VOLUME':
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const p of inst.paths) c.Volumes[p] = {};
      comment = ` VOLUME ${goList(inst.paths)}`;
      break;
    case 'WORKDIR':
      c.WorkingDir = posix.resolve('/', c.WorkingDir || '/', inst.value);
      comment = `WORKDIR ${c.WorkingDir}`;
      break;
    case 'USER':
      c.User = inst.value;
      comment = ` USER ${inst.value}`;
      break;
    case 'STOPSIGNAL':
      if (!/^(SIG)?[A-Z0-9+-]+$/.test(inst.value)) fail(`Invalid signal: ${inst.value}`);
      c.StopSignal = inst.value;
      comment = ` STOPSIGNAL ${inst.value}`;
      break;
    case 'HEALTHCHECK': {
      const hc = inst.none ? { Test: ['NONE'] } : healthConfig(inst.command, inst.flags);
      c.Healthcheck = hc;
      comment = ` HEALTHCHECK &{${goQuoteList(hc.Test ?? [])} "${goDuration(hc.Interval ?? 0)}" "${goDuration(hc.Timeout ?? 0)}" "${goDuration(hc.StartPeriod ?? 0)}" ${goQuoteRune(hc.Retries ?? 0)}}`;
      break;
    }
    case 'SHELL':
      c.Shell = [...inst.shell];
      comment = ` SHELL ${goList(inst.shell)}`;
      break;
    case 'MAINTAINER':
      m.author = inst.value;
      comment = ` MAINTAINER ${inst.value}`;
      break;
    case 'ONBUILD':
      c.OnBuild = [...(c.OnBuild ?? []), inst.expression];
      comment = ` ONBUILD ${inst.expression}`;
      break;
  }
  return { config: c, meta: m, comment };
}

/** The HealthConfig of a HEALTHCHECK CMD; its flags were checked by the parser (parse-dockerfile.ts). */
function healthConfig(cmd: CommandForm, flags: Record<string, string>): HealthConfig {
  const hc: HealthConfig = { Test: 'exec' in cmd ? ['CMD', ...cmd.exec] : ['CMD-SHELL', cmd.shell] };
  const fields = { interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod' } as const;
  for (const [flag, field] of Object.entries(fields)) if (flags[flag]) hc[field] = parseGoDuration(flags[flag]!)!;
  if (flags.retries) hc.Retries = Number(flags.retries);
  return hc;
}

/** `80`, `80/udp`, `8000-8002/tcp` → `80/tcp`, … Fails on anything else. */
export function parsePortSpec(spec: string, fail: (m: string) => never): string[] {
  const m = /^(?:[^:]*:)?(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) return fail(`Invalid containerPort: ${spec}`);
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (first > 65535 || last > 65535 || last < first) fail(`Invalid containerPort: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = first; p <= last; p++) out.push(`${p}/${proto}`);
  return out;
}
