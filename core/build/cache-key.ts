/**
 * The cache key of a build step. Two steps share a key — and the second reuses the
 * first's result — when they have the same parent image, the same `created_by` (the
 * expanded instruction with the build args that reach it, and for ADD/COPY the sources'
 * content hash: not their mtimes) and the same resulting run config (Env, User,
 * WorkingDir, … : Docker compares the whole config). Proxy args are in neither, so
 * changing them reuses the cache, as in Docker. An identical step in another stage of
 * the same parent is a hit.
 */
import { createHash } from 'node:crypto';
import type { BuildConfig } from './image-config.js';

export interface StepKeyInput {
  /** The parent image's id (`sha256:…`), or '' for FROM scratch. */
  parent: string;
  /** The step's created_by (created-by.ts). */
  createdBy: string;
  /** The config the step runs with / produces. */
  config: BuildConfig;
}

/** `sha256:<hex>` over the canonical JSON of the input (object keys sorted). */
export function stepCacheKey(input: StepKeyInput): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson(input)).digest('hex');
}

/** JSON with object keys sorted at every level; `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map((v) => canonicalJson(v ?? null)).join(',') + ']';
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return '{' + entries.map(([k, v]) => JSON.stringify(k) + ':' + canonicalJson(v)).join(',') + '}';
  }
  return JSON.stringify(value);
}
