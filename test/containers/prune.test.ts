// The prune commands as Docker's: a question first (unless -f), what a
// container uses stays, `system prune` takes stopped containers, unused images
// and the build cache together.
import test from 'ava';
import { DRIVERS, testOn, withStrata } from './fixtures.js';

const DRIVER = DRIVERS.includes('overlay') ? 'overlay' : DRIVERS[0]!;

testOn(test, DRIVER, 'builtin')('image prune -a keeps what a container uses; without -f it asks, and only y or yes goes on', (t) => withStrata(DRIVER, 'builtin', async (s) => {
  await s.importImage('used');
  await s.importImage('unused', ['ENV A=1']);
  t.is((await s.cli(['create', '--name', 'holder', 'used', 'true'])).status, 0);
  const declined = await s.cli(['image', 'prune', '-a'], Buffer.from('n\n'));
  t.is(declined.status, 0);
  t.is(declined.stdout, 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n');
  t.is((await s.cli(['image', 'prune', '-a'])).stdout.endsWith('[y/N] Total reclaimed space: 0B\n'), true, 'stdin at its end is no');
  const pruned = await s.cli(['image', 'prune', '-a'], Buffer.from('yes\n'));
  t.is(pruned.status, 0, pruned.stderr);
  t.regex(pruned.stdout, /Deleted Images:\n/);
  t.regex(pruned.stdout, /\nuntagged: unused:latest\ndeleted: sha256:[0-9a-f]{64}\n/);
  const left = (await s.cli(['images', '--format', '{{.Repository}}'])).stdout.split('\n').filter(Boolean);
  t.false(left.includes('unused'));
  t.true(left.includes('used'), 'an image a container uses stays');
}));

testOn(test, DRIVER, 'builtin')('system prune -f: stopped containers, then the images they held, in Docker\'s sections; a running container and its image stay', (t) => withStrata(DRIVER, 'builtin', async (s) => {
  await s.importImage('old');
  t.is((await s.run(['--name', 'done', 'old', 'true'])).status, 0);
  const pruned = await s.cli(['system', 'prune', '-a', '-f']);
  t.is(pruned.status, 0, pruned.stderr);
  t.regex(pruned.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Images:\n(untagged|deleted): [^\n]+\n/);
  t.regex(pruned.stdout, /untagged: old:latest\n/);
  t.regex(pruned.stdout, /\nTotal reclaimed space: \S+\n$/);
  t.is((await s.cli(['ps', '-a', '-q'])).stdout, '');
  t.is((await s.cli(['images', '-q', 'old'])).stdout, '');
  const again = await s.cli(['system', 'prune', '-f']);
  t.is(again.stdout, 'Total reclaimed space: 0B\n');
}));
