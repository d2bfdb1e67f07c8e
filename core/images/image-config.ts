import * as z from 'zod/mini';
import '../zod.js';
import { ErrorCode, StrataError } from '../errors.js';
import { parseJsonDocument } from './json-document.js';
import type { DocumentSource } from './json-document.js';
import { digestSchema } from './manifest.js';

/**
 * The image config: OCI image-spec's `config.json` with Docker's fields
 * (`docker inspect` shows them). An image's id is the sha256 of its config
 * bytes, so configs are stored byte for byte as they arrived; `parseImageConfig`
 * is for *reading* them and keeps every unknown field. `serializeImageConfig`
 * writes the configs strata creates, byte-compatible with moby's encoder (see
 * there), so that an import or commit looks to Docker like its own.
 */

const stringList = z.optional(z.nullable(z.array(z.string())));
const emptyObjectSet = z.optional(z.nullable(z.record(z.string(), z.looseObject({}))));

export const healthcheckSchema = z.looseObject({
  /** `[]` inherit, `["NONE"]`, `["CMD", args…]`, `["CMD-SHELL", command]`. */
  Test: stringList,
  /** Nanoseconds. */
  Interval: z.optional(z.int()),
  Timeout: z.optional(z.int()),
  StartPeriod: z.optional(z.int()),
  StartInterval: z.optional(z.int()),
  Retries: z.optional(z.int()),
});

/** Docker's container.Config as images carry it (`config`, `container_config`). */
export const containerConfigSchema = z.looseObject({
  Hostname: z.optional(z.string()),
  Domainname: z.optional(z.string()),
  User: z.optional(z.string()),
  AttachStdin: z.optional(z.boolean()),
  AttachStdout: z.optional(z.boolean()),
  AttachStderr: z.optional(z.boolean()),
  /** `"80/tcp": {}`. */
  ExposedPorts: emptyObjectSet,
  Tty: z.optional(z.boolean()),
  OpenStdin: z.optional(z.boolean()),
  StdinOnce: z.optional(z.boolean()),
  /** `KEY=value` entries. */
  Env: stringList,
  Cmd: stringList,
  Healthcheck: z.optional(z.nullable(healthcheckSchema)),
  ArgsEscaped: z.optional(z.boolean()),
  Image: z.optional(z.string()),
  Volumes: emptyObjectSet,
  WorkingDir: z.optional(z.string()),
  Entrypoint: stringList,
  NetworkDisabled: z.optional(z.boolean()),
  MacAddress: z.optional(z.string()),
  OnBuild: stringList,
  Labels: z.optional(z.nullable(z.record(z.string(), z.string()))),
  StopSignal: z.optional(z.string()),
  StopTimeout: z.optional(z.nullable(z.int())),
  Shell: stringList,
});

export const historyEntrySchema = z.looseObject({
  /** RFC 3339. */
  created: z.optional(z.string()),
  author: z.optional(z.string()),
  created_by: z.optional(z.string()),
  comment: z.optional(z.string()),
  empty_layer: z.optional(z.boolean()),
});

export const imageConfigSchema = z.looseObject({
  architecture: z.string().check(z.minLength(1)),
  os: z.string().check(z.minLength(1)),
  variant: z.optional(z.string()),
  'os.version': z.optional(z.string()),
  'os.features': z.optional(z.array(z.string())),
  /** RFC 3339 (Docker writes nanoseconds: `2026-11-29T18:49:13.531420631Z`). */
  created: z.optional(z.string()),
  author: z.optional(z.string()),
  comment: z.optional(z.string()),
  config: z.optional(z.nullable(containerConfigSchema)),
  container: z.optional(z.string()),
  container_config: z.optional(z.nullable(containerConfigSchema)),
  docker_version: z.optional(z.string()),
  parent: z.optional(z.string()),
  rootfs: z.looseObject({ type: z.literal('layers'), diff_ids: z.array(digestSchema) }),
  history: z.optional(z.nullable(z.array(historyEntrySchema))),
});

export type Healthcheck = z.output<typeof healthcheckSchema>;
export type ContainerConfig = z.output<typeof containerConfigSchema>;
export type HistoryEntry = z.output<typeof historyEntrySchema>;
export type ImageConfig = z.output<typeof imageConfigSchema>;

/**
 * Parses a config blob (at most 4 MiB). Unknown fields are kept. Fails with a
 * one-line StrataError starting with `source.what`, code `source.code` or
 * ECORRUPT (json-document.ts).
 */
export function parseImageConfig(bytes: Uint8Array | string, source: DocumentSource): ImageConfig {
  return parseJsonDocument(bytes, imageConfigSchema, source);
}

/** One step of `history`, paired with the layer it made (undefined for an empty-layer step). */
export interface LayerHistoryStep {
  readonly entry: HistoryEntry;
  readonly diffId?: string;
}

/**
 * The history entries in order (oldest first), each non-empty one paired with
 * the next diff_id, as moby's ImageHistory pairs them. A config without history
 * gives one step per layer with an empty entry. Fails with ECORRUPT when the
 * history names more non-empty layers than rootfs has.
 */
export function layerHistory(config: ImageConfig): LayerHistoryStep[] {
  const diffIds = config.rootfs.diff_ids;
  const history = config.history ?? [];
  if (history.length === 0) return diffIds.map((diffId) => ({ entry: {}, diffId }));
  let next = 0;
  return history.map((entry) => {
    if (entry.empty_layer === true) return { entry };
    const diffId = diffIds[next++];
    if (diffId === undefined) throw new StrataError(ErrorCode.ECORRUPT, 'image config: too many non-empty layers in history');
    return { entry, diffId };
  });
}

/** An OCI platform (os, architecture, variant). */
export interface PlatformSpec {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

const NODE_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/**
 * This machine's platform in OCI terms: `linux/amd64`, `linux/arm64/v8`,
 * `linux/arm/v7` (containerd's defaults: arm64 is v8, arm is the running
 * ARM version, v7 when unknown).
 */
export function hostPlatform(): PlatformSpec {
  const architecture = NODE_ARCH[process.arch] ?? process.arch;
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  if (architecture === 'arm64') return { os, architecture, variant: 'v8' };
  if (architecture === 'arm') {
    const version = (process.config.variables as Record<string, unknown>)['arm_version'];
    return { os, architecture, variant: `v${typeof version === 'string' || typeof version === 'number' ? version : 7}` };
  }
  return { os, architecture };
}

/** A platform with containerd's default variants made explicit (arm64 → v8, arm → v7, amd64 → none). */
export function normalizePlatform(p: PlatformSpec): PlatformSpec {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'arm64' && (variant === undefined || variant === '8' || variant === 'v8')) variant = 'v8';
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** Whether two platforms name the same target after `normalizePlatform` (`linux/arm64` = `linux/arm64/v8`). */
export function samePlatform(a: PlatformSpec, b: PlatformSpec): boolean {
  const x = normalizePlatform(a);
  const y = normalizePlatform(b);
  return x.os === y.os && x.architecture === y.architecture && x.variant === y.variant;
}

/** `os/architecture[/variant]`, as `--platform` takes it. */
export function formatPlatform(p: PlatformSpec): string {
  return `${p.os}/${p.architecture}${p.variant === undefined ? '' : `/${p.variant}`}`;
}

/** Parses `--platform` (`linux/arm64`, `linux/arm/v7`); fails with EINVALID naming the value. */
export function parsePlatform(text: string): PlatformSpec {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new StrataError(ErrorCode.EINVALID, `invalid platform "${text}": expected OS/ARCH[/VARIANT]`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform(variant === undefined ? { os, architecture } : { os, architecture, variant });
}
