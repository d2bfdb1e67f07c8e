import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTokenServer, type TokenServer } from './token-server.js';

const run = promisify(execFile);

/**
 * A real CNCF distribution registry (`docker-registry`, Debian's 2.8) for tests,
 * on a free loopback port with a temporary storage root. Reused by every test
 * that needs a registry:
 *
 *     const registry = await startRegistry({ auth: 'token', tls: true });
 *     try { ... registry.host ... } finally { await registry.stop(); }
 *
 * - `auth: 'htpasswd'`: Basic auth against bcrypt hashes of `users`.
 * - `auth: 'token'`: a token server in this process (`registry.tokens`) issuing
 *   ES256 JWTs (kid as distribution derives it from the key) that grant each
 *   authenticated user every action asked; anonymous requests get no access.
 * - `tls: true`: HTTPS with a certificate for 127.0.0.1 signed by a fresh CA
 *   (`registry.caFile`); not trusted by anything until a test puts it in a certs.d.
 *
 * `requests()` reads the registry's access log: the method, path and status of
 * every request it completed (to count blob GETs).
 */
export interface RegistryOptions {
  readonly auth?: 'none' | 'htpasswd' | 'token';
  readonly tls?: boolean;
  /** user → password when auth is on; default { tester: 'secret-pass' }. */
  readonly users?: Readonly<Record<string, string>>;
}

export interface LoggedRequest {
  readonly method: string;
  readonly uri: string;
  readonly status: number;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as a reference's domain. */
  readonly host: string;
  readonly root: string;
  /** PEM of the CA that signed the TLS certificate (tls only). */
  readonly caFile?: string;
  readonly users: Readonly<Record<string, string>>;
  /** The token server (auth 'token' only): how many tokens it issued, by scope string. */
  readonly tokens?: { readonly issued: string[] };
  /** Every request the registry has logged as completed so far (waits for the log to settle). */
  requests(): Promise<LoggedRequest[]>;
  /** GETs of blobs (status 200/206) so far. */
  blobGets(): Promise<LoggedRequest[]>;
  stop(): Promise<void>;
}

export const DEFAULT_USERS: Readonly<Record<string, string>> = { tester: 'secret-pass' };

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-registry-'));
  const users = options.auth === 'htpasswd' || options.auth === 'token' ? (options.users ?? DEFAULT_USERS) : {};
  const config: string[] = [
    'version: 0.1',
    'log: {level: info, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: ${join(dir, 'root')}}, delete: {enabled: true}}`,
    'http:',
    '  addr: 127.0.0.1:0',
    '  secret: strata-test-secret',
  ];
  let caFile: string | undefined;
  if (options.tls) {
    caFile = await makeTlsCertificate(dir);
    config.push(`  tls: {certificate: ${join(dir, 'server.crt')}, key: ${join(dir, 'server.key')}}`);
  }
  let tokenServer: TokenServer | undefined;
  if (options.auth === 'htpasswd') {
    const lines: string[] = [];
    for (const [user, password] of Object.entries(users)) lines.push(await bcryptLine(user, password));
    await writeFile(join(dir, 'htpasswd'), lines.join('\n') + '\n');
    config.push(`auth: {htpasswd: {realm: strata-test, path: ${join(dir, 'htpasswd')}}}`);
  } else if (options.auth === 'token') {
    tokenServer = await startTokenServer(dir, users);
    config.push(
      `auth: {token: {realm: "${tokenServer.realm}", service: strata-test, issuer: strata-test-issuer, rootcertbundle: ${tokenServer.certFile}}}`,
    );
  }
  await writeFile(join(dir, 'config.yml'), config.join('\n') + '\n');

  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    env: { ...process.env, REGISTRY_HTTP_ADDR: '127.0.0.1:0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (log += text));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`docker-registry did not start:\n${log}`)), 10_000);
    child.once('exit', (code) => reject(new Error(`docker-registry exited with ${code}:\n${log}`)));
    child.stderr!.on('data', () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });

  const requests = async (): Promise<LoggedRequest[]> => {
    await settle(() => log.length);
    return parseLog(log);
  };
  return {
    host: `127.0.0.1:${port}`,
    root: join(dir, 'root'),
    caFile,
    users,
    tokens: tokenServer === undefined ? undefined : { issued: tokenServer.issued },
    requests,
    blobGets: async () => (await requests()).filter((r) => r.method === 'GET' && /\/blobs\/sha256:/.test(r.uri) && r.status < 300),
    stop: async () => {
      await stopChild(child);
      await tokenServer?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function parseLog(log: string): LoggedRequest[] {
  const out: LoggedRequest[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('msg="response completed')) continue; // also "response completed with error"
    const method = /http\.request\.method=(\w+)/.exec(line)?.[1];
    const uri = /http\.request\.uri="?([^" ]+)/.exec(line)?.[1];
    const status = /http\.response\.status=(\d+)/.exec(line)?.[1];
    if (method && uri && status) out.push({ method, uri, status: Number(status) });
  }
  return out;
}

/** Waits until `size()` has not changed for 150 ms (the registry logs a request just after answering it). */
async function settle(size: () => number): Promise<void> {
  let last = -1;
  while (last !== size()) {
    last = size();
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** `user:$2y$...` from `htpasswd -nBi` (the password goes through stdin, not the arguments). */
async function bcryptLine(user: string, password: string): Promise<string> {
  const child = execFile('htpasswd', ['-nBi', user]);
  let out = '';
  child.stdout!.on('data', (d: string) => (out += d));
  child.stdin!.end(password);
  // 'close', not 'exit': the process may exit before its last output is read, and a cut hash refuses the right password.
  const [code] = (await once(child, 'close')) as [number];
  if (code !== 0) throw new Error(`htpasswd exited with ${code}`);
  return out.trim();
}

/** A CA and a server certificate for 127.0.0.1/localhost signed by it; returns the CA file. */
async function makeTlsCertificate(dir: string): Promise<string> {
  const f = (name: string): string => join(dir, name);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=strata test CA']);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  await run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('ext.cnf')]);
  return f('ca.crt');
}

/**
 * Runs `skopeo copy SRC DEST` against a test registry (TLS not verified; the
 * registry's first user's credentials from an auth file, never in arguments).
 * `extra`: more flags (`--all`, `--format v2s2`, `--preserve-digests`).
 */
export async function skopeoCopy(registry: TestRegistry, src: string, dest: string, extra: readonly string[] = []): Promise<string> {
  const { stdout } = await skopeo(registry, ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', ...extra], [src, dest]);
  return stdout.toString();
}

/** `skopeo inspect --raw` of a registry reference: the manifest bytes exactly as stored. */
export async function skopeoRawManifest(registry: TestRegistry, ref: string): Promise<Buffer> {
  return (await skopeo(registry, ['inspect', '--raw', '--tls-verify=false'], [`docker://${ref}`])).stdout;
}

async function skopeo(registry: TestRegistry, flags: readonly string[], operands: readonly string[]): Promise<{ stdout: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-skopeo-'));
  try {
    const args = [...flags];
    const [user, password] = Object.entries(registry.users)[0] ?? [];
    if (user !== undefined) {
      const authfile = join(dir, 'auth.json');
      await writeFile(authfile, JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }), { mode: 0o600 });
      args.push('--authfile', authfile);
    }
    return await run('skopeo', [...args, ...operands], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    throw new Error(`skopeo ${[...flags, ...operands].join(' ')} failed: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
