import test from 'ava';
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI, runCli, tempDir } from '../cli/run-cli.js';
import { skopeoCopy, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { addTreeImage, addTreeLayer } from './layout.js';

/** login / logout against an htpasswd registry, and TLS verification, through the CLI. */
let work: { path: string; cleanup: () => Promise<void> };
const registries: TestRegistry[] = [];

test.before(async () => {
  work = await tempDir('registry-auth');
  const layout = join(work.path, 'layout');
  await addTreeImage(layout, 'v1', [await addTreeLayer(layout, { 'hello.txt': 'hello\n' })]);
});

test.after.always(async () => {
  for (const r of registries) await r.stop();
  await work?.cleanup();
});

async function registryWith(options: Parameters<typeof startRegistry>[0]): Promise<TestRegistry> {
  const registry = await startRegistry(options);
  registries.push(registry);
  await skopeoCopy(registry, `oci:${join(work.path, 'layout')}:v1`, `docker://${registry.host}/app:v1`);
  return registry;
}

/**
 * The one htpasswd registry of this file, shared by its tests: two seeded at
 * once made skopeo try to reuse a blob it had just pushed to the other, and the
 * registry refused that check (401).
 */
let htpasswdRegistry: Promise<TestRegistry> | undefined;
const sharedHtpasswdRegistry = (): Promise<TestRegistry> => (htpasswdRegistry ??= registryWith({ auth: 'htpasswd' }));

function strata(name: string, args: readonly string[], input?: Buffer) {
  const home = join(work.path, `home-${name}`);
  return runCli(['--root', join(work.path, `root-${name}`), '--driver', 'vfs', ...args], { env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config') }, ...(input ? { input } : {}) });
}

test('login checks the password against an htpasswd registry, stores it 0600 in Docker\'s format; pull works; logout forgets it', async (t) => {
  const registry = await sharedHtpasswdRegistry();
  const ref = `${registry.host}/app:v1`;
  const anonymous = await strata('htpasswd', ['pull', ref]);
  t.not(anonymous.status, 0);

  const bad = await strata('htpasswd', ['login', '-u', 'tester', '-p', 'wrong-pass-123', registry.host]);
  t.not(bad.status, 0);
  const errorLines = bad.stderr.trimEnd().split('\n');
  t.is(errorLines[0], 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.');
  t.is(errorLines.length, 2, bad.stderr);
  t.regex(errorLines[1]!, /^strata: .*refused/);
  t.false((bad.stdout + bad.stderr).includes('wrong-pass-123'));

  const good = await strata('htpasswd', ['login', '-u', 'tester', '--password-stdin', registry.host], Buffer.from('secret-pass\n'));
  t.is(good.status, 0, good.stderr);
  t.is(good.stdout, 'Login Succeeded\n');
  const file = join(work.path, 'home-htpasswd', '.config', 'strata', 'auth.json');
  t.is((await stat(file)).mode & 0o777, 0o600);
  const auths = (JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, { auth: string }> }).auths;
  t.is(Buffer.from(auths[registry.host]!.auth, 'base64').toString(), 'tester:secret-pass');

  const pulled = await strata('htpasswd', ['pull', '-q', ref]);
  t.is(pulled.status, 0, pulled.stderr);
  t.is(pulled.stdout, `${ref}\n`);

  const out = await strata('htpasswd', ['logout', registry.host]);
  t.is(out.stdout, `Removing login credentials for ${registry.host}\n`);
  const after = await strata('htpasswd', ['pull', ref]);
  t.not(after.status, 0);
  t.is(after.stderr.trimEnd().split('\n').length, 1, after.stderr);
});

/**
 * `strata login` on a pseudo-terminal (util-linux `script`), typing each answer
 * once its question shows, as a person would; resolves with the screen.
 */
function loginOnTerminal(name: string, args: readonly string[], answers: Readonly<Record<string, string>>): Promise<{ status: number | null; screen: string }> {
  const home = join(work.path, `home-${name}`);
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, CLI, '--root', join(work.path, `root-${name}`), '--driver', 'vfs', 'login', ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config') }, stdio: ['pipe', 'pipe', 'inherit'] });
    let screen = '';
    const asked = new Set<string>();
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      screen += text;
      for (const [question, answer] of Object.entries(answers)) {
        if (!asked.has(question) && screen.endsWith(question)) {
          asked.add(question);
          child.stdin.write(`${answer}\r`);
        }
      }
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, screen }));
  });
}

test('login asks for the user name and the password on a terminal, without echoing the password; not on a pipe', async (t) => {
  const registry = await sharedHtpasswdRegistry();
  const asked = await loginOnTerminal('prompt', [registry.host], { 'Username: ': 'tester', 'Password: ': 'secret-pass' });
  t.is(asked.status, 0, asked.screen);
  t.regex(asked.screen, /^Username: tester\r?\nPassword: \r?\nLogin Succeeded\r?\n$/);
  t.false(asked.screen.includes('secret-pass'), 'the password is not echoed');
  const again = await loginOnTerminal('prompt', [registry.host], { 'Username (tester): ': '', 'Password: ': 'secret-pass' });
  t.is(again.status, 0, again.screen);
  t.true(again.screen.includes('Username (tester): '), 'the stored user is offered');

  const piped = await strata('prompt-pipe', ['login', registry.host]);
  t.is(piped.status, 2);
  t.is(piped.stderr, 'strata: Cannot perform an interactive login from a non TTY device\n');
});

test('a TLS registry whose CA is not trusted fails in one line; --tls-verify=false, or the registry under insecureRegistries, pulls', async (t) => {
  const registry = await registryWith({ tls: true });
  const ref = `${registry.host}/app:v1`;
  const refused = await strata('tls', ['pull', ref]);
  t.not(refused.status, 0);
  t.is(refused.stderr.trimEnd().split('\n').length, 1, refused.stderr);
  t.regex(refused.stderr, /certificate .* is not trusted/);
  const insecure = await strata('tls', ['pull', '--tls-verify=false', ref]);
  t.is(insecure.status, 0, insecure.stderr);
  t.true(insecure.stdout.includes(`Status: Downloaded newer image for ${ref}`));
  const config = join(work.path, 'insecure.json');
  await writeFile(config, JSON.stringify({ insecureRegistries: [registry.host] }));
  const listed = await strata('tls-listed', ['--config', config, 'pull', ref]);
  t.is(listed.status, 0, listed.stderr);
});
