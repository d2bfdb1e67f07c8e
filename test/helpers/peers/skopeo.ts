import { missingProgram, runPeer } from './run.js';

/**
 * skopeo 1.9 as a peer, on local transports only (`oci:DIR[:TAG]`,
 * `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:NAME]`, `dir:DIR`).
 */
export const skopeo = {
  unmet(): Promise<string | undefined> {
    return missingProgram('skopeo', ['--version']);
  },
  /** Copies `from` to `to`, keeping the layers as they are when the formats allow. */
  async copy(from: string, to: string, flags: readonly string[] = []): Promise<void> {
    await runPeer('skopeo', ['--insecure-policy', 'copy', '--quiet', ...flags, from, to]);
  },
  /** The manifest of `ref` exactly as stored (`skopeo inspect --raw`), parsed. */
  async rawManifest(ref: string): Promise<{ config: { digest: string }; layers: Array<{ digest: string; mediaType: string; size: number }> }> {
    return JSON.parse(await runPeer('skopeo', ['inspect', '--raw', ref]));
  },
  /** `skopeo inspect`: digest, layers, os, architecture, env... */
  async inspect(ref: string): Promise<{ Digest: string; Layers: string[]; Env?: string[] }> {
    return JSON.parse(await runPeer('skopeo', ['inspect', ref]));
  },
  /** The config of `ref` (`skopeo inspect --config --raw`), byte for byte. */
  async rawConfig(ref: string): Promise<string> {
    return runPeer('skopeo', ['inspect', '--config', '--raw', ref]);
  },
};
