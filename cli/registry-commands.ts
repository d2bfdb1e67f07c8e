import type { Command } from 'commander';
import { ErrorCode, StrataError } from '../core/engine.js';
import type { Store } from '../core/engine.js';
import { loadImages, pullImage, pushImage, saveImages } from '../core/image-ops/index.js';
import { familiarString, formatReference, parseReference, withDefaultTag } from '../core/images/reference.js';
import type { ArchiveImage } from '../core/images/archive/index.js';
import { formatImageLocation, parseImageLocation, type ImageLocation } from '../core/images/transport.js';
import { CredentialStore, RegistryClient, apiHost, login, logout, parsePlatform, type ClientOptions } from '../core/remotes/index.js';
import { configOf, withStore } from './context.js';
import { usageError } from './errors.js';
import { canPrompt, prompt } from './prompt.js';
import { PullProgressRenderer, PushProgressRenderer } from './format/index.js';

interface TlsOptions {
  readonly tlsVerify: boolean;
}

/** `--tls-verify[=BOOL]`: any value but `false` verifies. */
function tlsOption(command: Command): Command {
  return command.option('--tls-verify [bool]', 'verify TLS certificates (false: also allow plain HTTP)', (v: string) => v !== 'false', true);
}

/** The registry client for a command: credentials from the auth files, TLS from the flag and `insecureRegistries`. */
async function clientFor(command: Command, tls: TlsOptions): Promise<RegistryClient> {
  const config = await configOf(command);
  const credentials = new CredentialStore();
  const options: ClientOptions = { tlsVerify: tls.tlsVerify, insecureRegistries: config.insecureRegistries ?? [], credentials: (host) => credentials.get(host) };
  return new RegistryClient(options);
}

/** `pull`, `push`, `login`, `logout`. */
export function addRegistryCommands(program: Command): void {
  tlsOption(
    program
      .command('pull')
      .description('pull an image from a registry ([docker://]HOST[:PORT]/NAME[:TAG|@DIGEST]) or a local oci:, oci-archive: or docker-archive: location')
      .argument('<ref>')
      .option('--platform <os/arch[/variant]>', 'the platform to pull from a multi-platform image (default: this host\'s)')
      .option('-q, --quiet', 'print only the image name', false),
  ).action(async (text: string, options: TlsOptions & { platform?: string; quiet: boolean }, command: Command) => {
    const location = parseImageLocation(text);
    const platform = options.platform === undefined ? undefined : parsePlatform(options.platform);
    await withStore(command, async (store) => {
      if (location.transport !== 'docker') return loadLocal(store, location, options.quiet);
      const out = process.stdout;
      let ref = location.reference;
      if (ref.tag === undefined && ref.digest === undefined) {
        if (!options.quiet) out.write('Using default tag: latest\n');
        ref = withDefaultTag(ref);
      }
      const renderer = new PullProgressRenderer(out, { quiet: options.quiet });
      renderer.start(ref);
      const client = await clientFor(command, options);
      try {
        const result = await pullImage(store, ref, { client, onProgress: renderer.event, ...(platform ? { platform } : {}) });
        renderer.finish(result, formatReference(ref), familiarString(ref));
      } finally {
        client.close();
      }
    });
  });

  tlsOption(
    program
      .command('push')
      .description('push an image to a registry, or to a local oci:, oci-archive: or docker-archive: location')
      .argument('<image>', 'the image: a name, an id or a unique id prefix')
      .argument('[dest]', '[docker://]HOST[:PORT]/NAME[:TAG] (default: the image name)'),
  ).action(async (image: string, destText: string | undefined, options: TlsOptions, command: Command) => {
    const dest: ImageLocation = destText === undefined ? { transport: 'docker', reference: withDefaultTag(parseReference(image)) } : parseImageLocation(destText);
    await withStore(command, async (store) => {
      if (dest.transport !== 'docker') return saveLocal(store, image, dest);
      const ref = withDefaultTag(dest.reference);
      const renderer = new PushProgressRenderer(process.stdout);
      renderer.start(ref);
      const client = await clientFor(command, options);
      try {
        renderer.finish(await pushImage(store, image, ref, { client, onProgress: renderer.event }));
      } finally {
        client.close();
      }
    });
  });

  tlsOption(
    program
      .command('login')
      .description('log in to a registry (the credentials are checked, then stored in Docker\'s format)')
      .argument('<registry>', 'HOST[:PORT]')
      .option('-u, --username <user>', 'user name (asked on a terminal when not given)')
      .option('-p, --password <password>', 'password (insecure: it shows in the process list; use --password-stdin)')
      .option('--password-stdin', 'read the password from stdin (needs -u)', false),
  ).action(async (registryText: string, options: TlsOptions & { username?: string; password?: string; passwordStdin: boolean }, command: Command) => {
    const registry = registryHost(registryText);
    if (options.password !== undefined && options.passwordStdin) throw usageError('--password and --password-stdin are mutually exclusive');
    if (options.password !== undefined) process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    const store = new CredentialStore();
    let username = options.username;
    let password = options.password;
    if (options.passwordStdin) {
      if (username === undefined) throw usageError('Must provide --username with --password-stdin');
      password = (await readStdin()).replace(/\r?\n$/, '');
    }
    if (username === undefined || password === undefined) {
      if (!canPrompt()) throw usageError('Cannot perform an interactive login from a non TTY device');
      if (username === undefined) {
        // As Docker: the stored user name is offered, and an empty answer keeps it.
        const stored = (await store.get(registry))?.username;
        username = (await prompt(stored === undefined ? 'Username: ' : `Username (${stored}): `)).trim() || stored;
        if (!username) throw usageError('Non-null Username Required');
      }
      password = await prompt('Password: ', { secret: true });
      if (password === '') throw usageError('Password Required');
    }
    const config = await configOf(command);
    await login(registry, { username, password }, store, { tlsVerify: options.tlsVerify, insecureRegistries: config.insecureRegistries ?? [] });
    process.stdout.write('Login Succeeded\n');
  });

  program
    .command('logout')
    .description('remove the stored credentials of a registry')
    .argument('<registry>', 'HOST[:PORT]')
    .action(async (registryText: string) => {
      const registry = registryHost(registryText);
      const removed = await logout(registry, new CredentialStore());
      process.stdout.write(removed ? `Removing login credentials for ${registry}\n` : `Not logged in to ${registry}\n`);
    });
}

/** `HOST[:PORT]` from what a user may type (`https://host/`, `host/v1/`); Docker Hub's names are `docker.io`. */
function registryHost(text: string): string {
  const host = text.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (host === '') throw usageError(`"${text}" is not a registry host`);
  return apiHost(host) === 'registry-1.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/**
 * `pull oci:DIR[:REF]`, `oci-archive:FILE[:REF]`, `docker-archive:FILE[:NAME|:@N]`:
 * a load of the image named there (every image when none is). Fails with
 * ENOIMAGE when none matches.
 */
async function loadLocal(store: Store, location: Exclude<ImageLocation, { transport: 'docker' }>, quiet: boolean): Promise<void> {
  const pick = pickerFor(location);
  const loaded = await loadImages(store, location.path, pick === undefined ? {} : { pick });
  if (loaded.length === 0) throw new StrataError(ErrorCode.ENOIMAGE, `${formatImageLocation(location)}: no such image there`);
  const names = loaded.flatMap((l) => (l.names.length === 0 ? [`sha256:${l.id}`] : l.names.map((n) => (quiet ? formatReference(n) : `Loaded image: ${familiarString(n)}`))));
  process.stdout.write(names.map((n) => `${n}\n`).join(''));
}

/** Which images of an archive a local location names, or undefined for all. */
function pickerFor(location: Exclude<ImageLocation, { transport: 'docker' }>): ((image: ArchiveImage, index: number) => boolean) | undefined {
  if (location.transport === 'docker-archive') {
    if (location.index !== undefined) return (_image, i) => i === location.index;
    if (location.name === undefined) return undefined;
    const wanted = formatReference(withDefaultTag(location.name));
    return (image) => image.names.some((n) => sameName(n, wanted));
  }
  const refName = location.refName;
  if (refName === undefined) return undefined;
  return (image) => image.tags.includes(refName) || image.names.includes(refName);
}

function sameName(text: string, wanted: string): boolean {
  try {
    return formatReference(withDefaultTag(parseReference(text))) === wanted;
  } catch {
    return false;
  }
}

/** `push IMAGE oci:DIR` (and the archives): a save. */
async function saveLocal(store: Store, image: string, dest: Exclude<ImageLocation, { transport: 'docker' }>): Promise<void> {
  if (dest.transport !== 'docker-archive' && dest.refName !== undefined) {
    throw new StrataError(ErrorCode.EUNSUPPORTED, `push to ${dest.transport}:${dest.path}:${dest.refName}: naming the image in the layout is not supported yet; give ${dest.transport}:${dest.path}`);
  }
  await saveImages(store, [image], dest.transport === 'oci' ? 'oci-dir' : dest.transport, dest.path);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
