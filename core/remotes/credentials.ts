import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ErrorCode, StrataError, errnoOf } from '../errors.js';

/** A user name and password (or identity token as password). Never printed. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Registry credentials in Docker's config.json format:
 * `{"auths": {"HOST[:PORT]": {"auth": base64("user:password")}}}`.
 *
 * strata writes only its own file, default `$XDG_CONFIG_HOME/strata/auth.json`
 * (`~/.config/strata/auth.json`). Not podman's `$XDG_RUNTIME_DIR/containers/auth.json`:
 * that directory is a tmpfs emptied at logout and unset for root over ssh or in
 * CI, so a login would silently vanish; a config-home file persists like
 * Docker's, and is strata's own so a `logout` never edits another tool's file.
 * Reads fall back, in order, to `$DOCKER_CONFIG/config.json` and
 * `~/.docker/config.json`, so existing Docker logins work.
 *
 * Writes are atomic (temporary file in the same directory, mode 0600, renamed)
 * and keep every other key of the file. Fails with ECONFIG on a malformed file.
 */
export class CredentialStore {
  /** The file `login` writes and `logout` edits. */
  readonly file: string;
  /** Files read after `file`, in order. */
  readonly fallbacks: readonly string[];

  constructor(paths: { file?: string; fallbacks?: readonly string[] } = {}) {
    this.file = paths.file ?? defaultAuthFile();
    this.fallbacks = paths.fallbacks ?? defaultFallbacks();
  }

  /** The credentials stored for `host` (`HOST[:PORT]`), first file that has them wins. */
  async get(host: string): Promise<Credentials | undefined> {
    for (const file of [this.file, ...this.fallbacks]) {
      const auths = (await readConfig(file)).auths;
      const entry = auths === undefined ? undefined : findEntry(auths, host);
      const decoded = entry === undefined ? undefined : decode(entry, file, host);
      if (decoded !== undefined) return decoded;
    }
    return undefined;
  }

  /** Stores credentials for `host` in `file` (0600, atomic). */
  async set(host: string, credentials: Credentials): Promise<void> {
    const config = await readConfig(this.file);
    const auths = { ...(config.auths ?? {}) };
    auths[host] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
    await writeAtomic(this.file, { ...config, auths });
  }

  /** Removes `host` from `file`; false when it had no entry. */
  async remove(host: string): Promise<boolean> {
    const config = await readConfig(this.file);
    const auths = { ...(config.auths ?? {}) };
    const keys = Object.keys(auths).filter((key) => normaliseKey(key) === normaliseKey(host));
    if (keys.length === 0) return false;
    for (const key of keys) delete auths[key];
    await writeAtomic(this.file, { ...config, auths });
    return true;
  }
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  [key: string]: unknown;
}

export function defaultAuthFile(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'strata', 'auth.json');
}

function defaultFallbacks(): string[] {
  const files = [join(homedir(), '.docker', 'config.json')];
  if (process.env.DOCKER_CONFIG) files.unshift(join(process.env.DOCKER_CONFIG, 'config.json'));
  return files;
}

async function readConfig(file: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return {};
    throw new StrataError(ErrorCode.ECONFIG, `cannot read credentials file ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    const auths = (parsed as ConfigFile).auths;
    if (auths !== undefined && (auths === null || typeof auths !== 'object')) throw new Error('"auths" is not an object');
    return parsed as ConfigFile;
  } catch (err) {
    // The message names the file, never its contents (they hold passwords).
    throw new StrataError(ErrorCode.ECONFIG, `credentials file ${file} is malformed: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Docker keys may be `host`, `https://host`, `https://host/v1/`; docker.io is `https://index.docker.io/v1/`. */
function normaliseKey(key: string): string {
  const bare = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return bare === 'index.docker.io' || bare === 'registry-1.docker.io' ? 'docker.io' : bare;
}

function findEntry(auths: Record<string, AuthEntry>, host: string): AuthEntry | undefined {
  if (auths[host] !== undefined) return auths[host];
  const wanted = normaliseKey(host);
  const key = Object.keys(auths).find((k) => normaliseKey(k) === wanted);
  return key === undefined ? undefined : auths[key];
}

function decode(entry: AuthEntry, file: string, host: string): Credentials | undefined {
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0) throw new StrataError(ErrorCode.ECONFIG, `credentials file ${file}: the entry for ${host} is not base64 "user:password"`);
    return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  return undefined;
}

async function writeAtomic(file: string, config: ConfigFile): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw new StrataError(ErrorCode.EIO, `cannot write credentials file ${file}: ${(err as Error).message}`, { cause: err });
  }
}
