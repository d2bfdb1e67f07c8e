import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TokenServer {
  readonly realm: string;
  readonly certFile: string;
  readonly issued: string[];
  close(): Promise<void>;
}

/**
 * A token server as distribution's token auth expects: GET /token?service=&scope=…
 * with Basic credentials; answers {token, expires_in} with an ES256 JWT granting
 * the scopes asked (authenticated users only), signed by a key whose certificate
 * is the registry's `rootcertbundle`.
 */
export async function startTokenServer(dir: string, users: Readonly<Record<string, string>>): Promise<TokenServer> {
  const keyFile = join(dir, 'token.key');
  const certFile = join(dir, 'token.crt');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=strata token signer']);
  const key = createPrivateKey(await readFile(keyFile));
  const kid = keyId(key);
  const issued: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const user = authenticatedUser(req.headers.authorization, users);
    if (req.headers.authorization !== undefined && user === undefined) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }));
      return;
    }
    const scopes = url.searchParams.getAll('scope');
    issued.push(scopes.join(' '));
    const access = user === undefined ? [] : scopes.map(parseScope).filter((a) => a !== undefined);
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'strata-test-issuer', sub: user ?? '', aud: url.searchParams.get('service') ?? '', exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: jwt(key, kid, claims), expires_in: 300, issued_at: new Date().toISOString() }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certFile,
    issued,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function authenticatedUser(header: string | undefined, users: Readonly<Record<string, string>>): string | undefined {
  if (header === undefined || !header.startsWith('Basic ')) return undefined;
  const text = Buffer.from(header.slice(6), 'base64').toString();
  const colon = text.indexOf(':');
  const user = text.slice(0, colon);
  return colon > 0 && users[user] === text.slice(colon + 1) ? user : undefined;
}

function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const m = /^([a-z]+):(.+):([a-z*,]+)$/.exec(scope);
  return m ? { type: m[1]!, name: m[2]!, actions: m[3]!.split(',') } : undefined;
}

/** distribution's key id: base32 of sha256(SPKI DER)[0:30], unpadded, in groups of 4 joined by ':'. */
function keyId(key: KeyObject): string {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return base32(createHash('sha256').update(der).digest().subarray(0, 30)).match(/.{1,4}/g)!.join(':');
}

function base32(data: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

function jwt(key: KeyObject, kid: string, claims: object): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part({ alg: 'ES256', typ: 'JWT', kid })}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}
