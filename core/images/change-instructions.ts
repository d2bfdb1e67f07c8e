import { posix } from 'node:path';
import { ErrorCode, StrataError } from '../errors.js';
import { parseHealthcheck } from './healthcheck.js';
import type { ContainerConfig } from './image-config.js';
import { parseJsonArray, processWord, splitWords } from './shell-words.js';
import type { EnvList } from './shell-words.js';

/**
 * `-c` / `--change` of `import` and `commit`: Dockerfile instructions applied
 * to an image's container config, with Docker 20.10's rules (recorded in
 * notes/docker-images.md):
 *
 * - the changes are joined by newlines and read as a Dockerfile: instruction
 *   names in any case, `#` comment lines, `\` line continuations;
 * - allowed: CMD ENTRYPOINT ENV EXPOSE HEALTHCHECK LABEL ONBUILD USER VOLUME
 *   WORKDIR; any other word fails with `<word> is not a valid change command`;
 * - CMD and ENTRYPOINT: JSON exec form, else shell form wrapped in the
 *   config's Shell or `["/bin/sh","-c", TEXT]`; ENTRYPOINT clears Cmd unless a
 *   CMD came earlier in the same changes;
 * - ENV and LABEL: `K=V …` or the legacy `K V…`; ENV replaces a name in place;
 * - ENV, LABEL, EXPOSE, USER, VOLUME, WORKDIR expand `$VAR` from Env as it was
 *   before the instruction (unset → empty);
 * - EXPOSE `80` → `80/tcp`, ranges expand, `ip:host:ctr` keeps ctr, protocols
 *   lowercased (tcp, udp, sctp); WORKDIR relative to the previous one.
 *
 * Every failure is StrataError EINVALID with Docker's message. The input
 * config is not modified.
 */

/** The instructions `-c` accepts, upper-case. */
export const CHANGE_INSTRUCTIONS: readonly string[] = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'USER', 'VOLUME', 'WORKDIR'];

const DEFAULT_SHELL = ['/bin/sh', '-c'];
const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

function invalid(message: string): StrataError {
  return new StrataError(ErrorCode.EINVALID, message);
}

/** One instruction: its upper-case name and the text after it (leading whitespace removed). */
export interface ChangeInstruction {
  readonly name: string;
  readonly args: string;
}

/**
 * Reads the changes as Dockerfile lines. Fails with `file with no instructions`
 * when there is none, and `<word> is not a valid change command` for an
 * instruction `-c` does not take.
 */
export function parseChanges(changes: readonly string[]): ChangeInstruction[] {
  const physical = changes.join('\n').split('\n');
  const logical: string[] = [];
  let pending: string | undefined;
  for (const raw of physical) {
    const line = raw.replace(/\r$/, '');
    if (pending === undefined && /^\s*(#|$)/.test(line)) continue;
    if (pending !== undefined && /^\s*#/.test(line)) continue;
    const continued = /\\[ \t]*$/.exec(line);
    const text = continued ? line.slice(0, continued.index) : line;
    pending = pending === undefined ? text : pending + text;
    if (!continued) {
      logical.push(pending);
      pending = undefined;
    }
  }
  if (pending !== undefined && pending.trim() !== '') logical.push(pending);
  if (logical.length === 0) throw invalid('file with no instructions');
  return logical.map((line) => {
    const m = /^\s*(\S+)\s*([\s\S]*?)\s*$/.exec(line)!;
    const name = m[1]!.toUpperCase();
    if (!CHANGE_INSTRUCTIONS.includes(name)) throw invalid(`${m[1]!.toLowerCase()} is not a valid change command`);
    return { name, args: m[2]! };
  });
}

/** `K=V …` or legacy `K V`, names and values processed against `env`. */
function nameValuePairs(instruction: string, args: string, env: EnvList): Array<[string, string]> {
  const words = splitWords(args);
  if (words.length === 0) throw invalid(`${instruction} requires at least one argument`);
  let raw: Array<[string, string]>;
  if (!words[0]!.includes('=')) {
    const m = /^\S+\s+([\s\S]+)$/.exec(args);
    if (m === null) throw invalid(`${instruction} must have two arguments`);
    raw = [[words[0]!, m[1]!]];
  } else {
    raw = words.map((word) => {
      const eq = word.indexOf('=');
      if (eq < 0) throw invalid(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
      return [word.slice(0, eq), word.slice(eq + 1)];
    });
  }
  return raw.map(([key, value]) => {
    const name = processWord(key, env);
    if (name === '') throw invalid(`${instruction} names can not be blank`);
    return [name, processWord(value, env)];
  });
}

/** `80`, `443/udp`, `8000-8002`, `127.0.0.1:8080:80/tcp` → `80/tcp`, …. */
export function exposedPorts(spec: string): string[] {
  const parts = spec.split(':');
  const container = parts[parts.length - 1]!;
  const slash = container.indexOf('/');
  const portText = slash < 0 ? container : container.slice(0, slash);
  const proto = slash < 0 || slash === container.length - 1 ? 'tcp' : container.slice(slash + 1).toLowerCase();
  if (!PROTOCOLS.has(proto)) throw invalid(`Invalid proto: ${container.slice(slash + 1)}`);
  if (portText === '') throw invalid(`No port specified: ${spec}<empty>`);
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(portText);
  const start = m ? Number(m[1]) : NaN;
  const end = m?.[2] !== undefined ? Number(m[2]) : start;
  if (!(start <= 65535 && end <= 65535 && start <= end)) throw invalid(`Invalid containerPort: ${portText}`);
  const ports: string[] = [];
  for (let p = start; p <= end; p++) ports.push(`${p}/${proto}`);
  return ports;
}

function commandForm(args: string, shell: readonly string[]): string[] | null {
  const exec = parseJsonArray(args);
  if (exec !== undefined) return exec;
  return args === '' ? [...shell] : [...shell, args];
}

/**
 * Applies `changes` to `config` and returns the new config (Docker's order:
 * one instruction after another). Fails as `parseChanges` and with each
 * instruction's Docker message (`ENV must have two arguments`, `Invalid
 * containerPort: abc`, `USER requires exactly one argument`, ...).
 */
export function applyChanges(config: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const out: Record<string, unknown> = { ...config };
  let env: string[] = [...(config.Env ?? [])];
  let cmdSet = false;
  const shell = (): readonly string[] => ((out['Shell'] as string[] | undefined)?.length ? (out['Shell'] as string[]) : DEFAULT_SHELL);

  for (const { name, args } of parseChanges(changes)) {
    switch (name) {
      case 'CMD':
        out['Cmd'] = commandForm(args, shell());
        cmdSet = true;
        break;
      case 'ENTRYPOINT': {
        const exec = parseJsonArray(args);
        out['Entrypoint'] = exec ?? (args === '' ? null : [...shell(), args]);
        if (!cmdSet) out['Cmd'] = null;
        break;
      }
      case 'ENV': {
        const next = [...env];
        for (const [key, value] of nameValuePairs('ENV', args, env)) {
          const entry = `${key}=${value}`;
          const at = next.findIndex((e) => e === key || e.startsWith(`${key}=`));
          if (at < 0) next.push(entry);
          else next[at] = entry;
        }
        env = next;
        out['Env'] = env;
        break;
      }
      case 'LABEL': {
        const labels = { ...((out['Labels'] as Record<string, string> | null | undefined) ?? {}) };
        for (const [key, value] of nameValuePairs('LABEL', args, env)) labels[key] = value;
        out['Labels'] = labels;
        break;
      }
      case 'EXPOSE': {
        const words = splitWords(args);
        if (words.length === 0) throw invalid('EXPOSE requires at least one argument');
        const ports = { ...((out['ExposedPorts'] as Record<string, object> | null | undefined) ?? {}) };
        for (const word of words) for (const port of exposedPorts(processWord(word, env))) ports[port] = {};
        out['ExposedPorts'] = ports;
        break;
      }
      case 'USER':
        if (args === '') throw invalid('USER requires exactly one argument');
        out['User'] = processWord(args, env);
        break;
      case 'VOLUME': {
        const list = parseJsonArray(args) ?? splitWords(args);
        if (list.length === 0) throw invalid('VOLUME requires at least one argument');
        const volumes = { ...((out['Volumes'] as Record<string, object> | null | undefined) ?? {}) };
        for (const item of list) {
          const path = processWord(item, env).trim();
          if (path === '') throw invalid('VOLUME specified can not be an empty string');
          volumes[path] = {};
        }
        out['Volumes'] = volumes;
        break;
      }
      case 'WORKDIR': {
        if (args === '') throw invalid('WORKDIR requires exactly one argument');
        const dir = processWord(args, env);
        const current = typeof out['WorkingDir'] === 'string' && out['WorkingDir'] !== '' ? (out['WorkingDir'] as string) : '/';
        out['WorkingDir'] = dir.startsWith('/') ? posix.normalize(dir) : posix.join('/', current, dir);
        break;
      }
      case 'ONBUILD': {
        if (args === '') throw invalid('ONBUILD requires at least one argument');
        const trigger = args.split(/\s/, 1)[0]!.toUpperCase();
        if (trigger === 'ONBUILD') throw invalid('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
        if (trigger === 'FROM' || trigger === 'MAINTAINER') throw invalid(`${trigger} isn't allowed as an ONBUILD trigger`);
        out['OnBuild'] = [...((out['OnBuild'] as string[] | null | undefined) ?? []), args];
        break;
      }
      case 'HEALTHCHECK':
        out['Healthcheck'] = parseHealthcheck(args);
        break;
    }
  }
  return out as ContainerConfig;
}
