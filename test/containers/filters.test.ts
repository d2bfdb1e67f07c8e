// `ps` and `images` narrowed as Docker users type it: --filter, -n, -l,
// `images -f dangling=true -q` (one driver, the built-in runtime).
import test from 'ava';
import { DRIVERS, testOn, withStrata } from './fixtures.js';

const DRIVER = DRIVERS.includes('overlay') ? 'overlay' : DRIVERS[0]!;
const names = (stdout: string) => stdout.split('\n').filter(Boolean);

testOn(test, DRIVER, 'builtin')('ps --filter id, name, status, exited, ancestor, before, since, label; -n and -l; bad filters fail in one line', (t) => withStrata(DRIVER, 'builtin', async (s) => {
  await s.importImage('bb', ['LABEL tier=web']);
  await s.importImage('plain');
  t.is((await s.run(['--name', 'three', 'bb', 'sh', '-c', 'exit 3'])).status, 3);
  t.is((await s.run(['--name', 'zero', 'plain', 'true'])).status, 0);
  const created = await s.cli(['create', '--name', 'fresh', 'bb', 'true']);
  const ps = async (...args: string[]) => {
    const r = await s.cli(['ps', ...args, '--format', '{{.Names}}']);
    t.is(r.status, 0, r.stderr);
    return names(r.stdout);
  };
  t.deepEqual(await ps(), [], 'nothing runs');
  t.deepEqual(await ps('-f', 'status=exited'), ['zero', 'three'], 'a status filter looks at every container, newest first');
  t.deepEqual(await ps('-a', '-f', 'status=created'), ['fresh']);
  t.deepEqual(await ps('-a', '-f', 'exited=3'), ['three']);
  t.deepEqual(await ps('-a', '-f', 'exited=0', '-f', 'exited=3'), ['zero', 'three'], 'values of one key are alternatives');
  t.deepEqual(await ps('-a', '-f', 'status=exited', '-f', 'name=^/t'), ['three'], 'different keys must all hold; name is a regexp on /name');
  t.deepEqual(await ps('-a', '-f', `id=${created.stdout.trim().slice(0, 6)}`), ['fresh']);
  t.deepEqual(await ps('-a', '-f', 'ancestor=bb'), ['fresh', 'three'], 'plain has the same layers, but is not built on bb');
  t.is((await s.cli(['commit', 'three', 'child'])).status, 0);
  t.is((await s.run(['--name', 'grandchild', 'child', 'true'])).status, 0);
  t.deepEqual(await ps('-a', '-f', 'ancestor=bb'), ['grandchild', 'fresh', 'three'], 'a container of an image committed on bb');
  t.is((await s.cli(['rm', 'grandchild'])).status, 0);
  t.deepEqual(await ps('-a', '-f', 'label=tier=web'), ['fresh', 'three'], 'the image\'s labels');
  t.deepEqual(await ps('-a', '-f', 'before=zero'), ['three']);
  t.deepEqual(await ps('-a', '-f', 'since=three'), ['fresh', 'zero']);
  t.deepEqual(await ps('-l'), ['fresh'], '-l: the latest, whatever its state');
  t.deepEqual(await ps('-n', '2'), ['fresh', 'zero']);
  const bad = await s.cli(['ps', '-f', 'status=sleepy']);
  t.is(bad.status, 2);
  t.is(bad.stderr, "strata: invalid filter 'status=sleepy'\n");
  t.is((await s.cli(['ps', '-f', 'colour=red'])).stderr, "strata: invalid filter 'colour'\n");
  t.is((await s.cli(['ps', '-f', 'status'])).stderr, 'strata: bad format of filter (expected name=value): status\n');
}));

testOn(test, DRIVER, 'builtin')('images --filter dangling, reference (path.Match), label, before, since; rmi $(images -f dangling=true -q) empties the dangling ones', (t) => withStrata(DRIVER, 'builtin', async (s) => {
  await s.importImage('web:1', ['LABEL tier=web']);
  await s.importImage('other/app:2');
  await s.importImage('web:3', ['ENV X=1']);
  t.is((await s.run(['--name', 'maker', 'web:1', 'touch', '/made'])).status, 0);
  const committed = await s.cli(['commit', 'maker']);
  t.is(committed.status, 0, committed.stderr);
  const untagged = committed.stdout.trim();
  const images = async (...args: string[]) => {
    const r = await s.cli(['images', ...args, '--format', '{{.Repository}}:{{.Tag}}']);
    t.is(r.status, 0, r.stderr);
    return names(r.stdout);
  };
  t.deepEqual(await images('-f', 'reference=web'), ['web:3', 'web:1']);
  t.deepEqual(await images('-f', 'reference=web:1'), ['web:1']);
  t.deepEqual(await images('-f', 'reference=*/app'), ['other/app:2']);
  t.deepEqual(await images('-f', 'reference=*'), ['web:3', 'web:1', 'bb:latest'], '* does not cross a /');
  t.deepEqual(await images('-f', 'label=tier=web'), ['<none>:<none>', 'web:1'], 'the commit keeps the labels');
  t.deepEqual(await images('-f', 'label=tier'), ['<none>:<none>', 'web:1']);
  t.deepEqual(await images('-f', 'label=tier=db'), []);
  t.deepEqual(await images('-f', 'dangling=true'), ['<none>:<none>']);
  t.deepEqual(await images('-f', 'dangling=false', '-f', 'reference=web'), ['web:3', 'web:1']);
  t.deepEqual(await images('-f', 'since=web:1'), ['<none>:<none>', 'web:3', 'other/app:2']);
  t.deepEqual(await images('-f', 'before=other/app:2'), ['web:1', 'bb:latest']);
  const dangling = names((await s.cli(['images', '-f', 'dangling=true', '-q'])).stdout);
  t.deepEqual(dangling, [untagged.slice('sha256:'.length, 'sha256:'.length + 12)]);
  t.is((await s.cli(['rm', 'maker'])).status, 0);
  t.is((await s.cli(['rmi', ...dangling])).status, 0);
  t.deepEqual(await images('-f', 'dangling=true'), []);
  t.is((await s.cli(['images', '-f', 'dangling=maybe'])).stderr, "strata: invalid filter 'dangling=maybe'\n");
}));
