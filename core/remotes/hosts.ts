import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isIP } from 'node:net';

/** Where custom CAs are looked for: `<dir>/HOST[:PORT]/ca.crt`, in this order. */
export const DEFAULT_CERTS_DIRS: readonly string[] = ['/etc/containers/certs.d', '/etc/docker/certs.d'];

/** How a registry host is reached. */
export interface HostOptions {
  /**
   * Default true: HTTPS, certificate verified against the system CAs plus any
   * `ca.crt` under `certsDirs`. False: HTTPS without verification, falling back
   * to plain HTTP when the host does not speak TLS (`--tls-verify=false`).
   */
  readonly tlsVerify?: boolean;
  /** Hosts (`HOST[:PORT]`, as in the reference) handled as if `tlsVerify` were false. */
  readonly insecureRegistries?: readonly string[];
  /** certs.d roots; default `DEFAULT_CERTS_DIRS` (injectable for tests). */
  readonly certsDirs?: readonly string[];
}

/** The TLS policy for one host, before probing whether it speaks TLS at all. */
export interface HostPolicy {
  readonly host: string;
  /** Extra CAs (PEM) from certs.d; empty when none. */
  readonly ca: readonly Buffer[];
  /** False only for insecure hosts; a failed verification is then accepted. */
  readonly verify: boolean;
  /**
   * True when plain HTTP may be used if the host does not speak TLS: insecure
   * hosts, and loopback hosts (Docker's localhost rule — a loopback registry that
   * speaks TLS is still verified; only the absence of TLS allows HTTP).
   */
  readonly httpFallback: boolean;
}

/** `localhost`, 127.0.0.0/8 and ::1, with or without a port. */
export function isLoopbackHost(host: string): boolean {
  const name = hostnameOf(host);
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return name === '::1';
}

/** The hostname part of `HOST[:PORT]` (brackets of an IPv6 literal removed). */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

export async function hostPolicy(host: string, options: HostOptions = {}): Promise<HostPolicy> {
  const insecure = options.tlsVerify === false || (options.insecureRegistries ?? []).includes(host);
  const ca: Buffer[] = [];
  for (const dir of options.certsDirs ?? DEFAULT_CERTS_DIRS) {
    const pem = await readFile(join(dir, host, 'ca.crt')).catch(() => undefined);
    if (pem !== undefined) ca.push(pem);
  }
  return { host, ca, verify: !insecure, httpFallback: insecure || isLoopbackHost(host) };
}
