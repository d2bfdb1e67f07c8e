import type { ImageReference } from '../../core/images/reference.js';
import test from 'ava';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isStrataError } from '../../core/errors.js';
import { CredentialStore, RegistryClient, login, logout, pull, push } from '../../core/remotes/index.js';
import { DirSink, DirSource, addImage, addRandomLayer, tagInLayout } from '../helpers/oci-dir.js';
import { DEFAULT_USERS, startRegistry, type TestRegistry } from '../helpers/registry.js';

const work: string[] = [];
const PASSWORD = DEFAULT_USERS.tester!;

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-auth-test-'));
  work.push(dir);
  return dir;
}

let layout: string;
test.before(async () => {
  layout = await tempDir();
  await tagInLayout(layout, 'v1', await addImage(layout, { layers: [await addRandomLayer(layout, 20_000), await addRandomLayer(layout, 30_000)] }));
});

test.after.always(async () => {
  for (const dir of work) await rm(dir, { recursive: true, force: true });
});

async function withRegistry(auth: 'htpasswd' | 'token', body: (registry: TestRegistry) => Promise<void>): Promise<void> {
  const registry = await startRegistry({ auth });
  try {
    await body(registry);
  } finally {
    await registry.stop();
  }
}

function ref(registry: TestRegistry, path: string, tag: string): ImageReference {
  return { domain: registry.host, path, tag };
}

for (const auth of ['htpasswd', 'token'] as const) {
  test(`${auth}: login checks the credentials before storing them (0600, Docker's format); push and pull use them`, async (t) => {
    await withRegistry(auth, async (registry) => {
      const store = new CredentialStore({ file: join(await tempDir(), 'strata', 'auth.json'), fallbacks: [] });
      const refused = await t.throwsAsync(login(registry.host, { username: 'tester', password: 'wrong-guess' }, store));
      t.true(isStrataError(refused, ErrorCode.EAUTH), String(refused));
      t.notRegex(refused!.message, /wrong-guess/);
      t.notRegex(refused!.message, /\n/);
      await t.throwsAsync(stat(store.file), undefined, 'nothing stored after a refused login');

      await login(registry.host, { username: 'tester', password: PASSWORD }, store);
      t.is((await stat(store.file)).mode & 0o777, 0o600);
      const saved = JSON.parse(await readFile(store.file, 'utf8')) as { auths: Record<string, { auth: string }> };
      t.is(Buffer.from(saved.auths[registry.host]!.auth, 'base64').toString(), `tester:${PASSWORD}`);

      const anonymous = new RegistryClient();
      const denied = await t.throwsAsync(push(new DirSource(layout, 'v1'), ref(registry, 'app', '1'), { client: anonymous }));
      t.true(isStrataError(denied, ErrorCode.EAUTH), String(denied));
      t.regex(denied!.message, new RegExp(`${registry.host}/app:1`));
      anonymous.close();

      const client = new RegistryClient({ credentials: (host) => store.get(host) });
      await push(new DirSource(layout, 'v1'), ref(registry, 'app', '1'), { client });
      const sink = new DirSink(await tempDir());
      await pull(ref(registry, 'app', '1'), { client, sink });
      t.truthy(sink.committed);
      client.close();

      t.true(await logout(registry.host, store));
      t.is(await store.get(registry.host), undefined);
      t.false(await logout(registry.host, store));
    });
  });
}

test('token: scopes are pull or pull,push, a mount adds the source repository, and tokens are reused per scope', async (t) => {
  await withRegistry('token', async (registry) => {
    const credentials = async () => ({ username: 'tester', password: PASSWORD });
    const client = new RegistryClient({ credentials });
    await push(new DirSource(layout, 'v1'), ref(registry, 'origin', '1'), { client });
    const { bytes } = await new DirSource(layout, 'v1').manifest();
    const manifest = JSON.parse(bytes.toString()) as { config: { digest: string }; layers: { digest: string }[] };
    const sources = Object.fromEntries([manifest.config, ...manifest.layers].map((d) => [d.digest, ['origin']]));
    await push(new DirSource(layout, 'v1', sources), ref(registry, 'copy', '1'), { client });
    await pull(ref(registry, 'copy', '1'), { client, sink: new DirSink(await tempDir()) });
    await pull(ref(registry, 'copy', '1'), { client, sink: new DirSink(await tempDir()) });
    const issued = registry.tokens!.issued;
    t.true(issued.includes('repository:origin:pull,push'));
    t.true(issued.some((s) => s.includes('repository:copy:pull,push') && s.includes('repository:origin:pull')), issued.join(' | '));
    t.true(issued.includes('repository:copy:pull'));
    t.is(new Set(issued).size, issued.length, `one token per scope set: ${issued.join(' | ')}`);
    client.close();
  });
});

test('token: a user the token server refuses is EAUTH at once, without a retry loop', async (t) => {
  await withRegistry('token', async (registry) => {
    const client = new RegistryClient({ credentials: async () => ({ username: 'tester', password: 'not-it' }) });
    const err = await t.throwsAsync(pull(ref(registry, 'app', '1'), { client, sink: new DirSink(await tempDir()) }));
    t.true(isStrataError(err, ErrorCode.EAUTH), String(err));
    t.notRegex(err!.message, /not-it/);
    t.true((await registry.requests()).length <= 2);
    client.close();
  });
});

test('credentials are read from Docker config files when strata has none', async (t) => {
  const dir = await tempDir();
  const docker = join(dir, 'config.json');
  await writeFile(docker, JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw1').toString('base64') }, 'reg.example:5000': { auth: Buffer.from('me:pw2').toString('base64') } }, credsStore: 'none' }));
  const store = new CredentialStore({ file: join(dir, 'own.json'), fallbacks: [docker] });
  t.deepEqual(await store.get('docker.io'), { username: 'hub', password: 'pw1' });
  t.deepEqual(await store.get('reg.example:5000'), { username: 'me', password: 'pw2' });
  await store.set('reg.example:5000', { username: 'other', password: 'pw3' });
  t.deepEqual(await store.get('reg.example:5000'), { username: 'other', password: 'pw3' }, "strata's own file wins");
  t.is(JSON.parse(await readFile(docker, 'utf8')).auths['reg.example:5000'].auth, Buffer.from('me:pw2').toString('base64'), "Docker's file is never written");
  await writeFile(join(dir, 'own.json'), '{"auths": [1');
  const err = await t.throwsAsync(store.get('x'));
  t.true(isStrataError(err, ErrorCode.ECONFIG));
});
