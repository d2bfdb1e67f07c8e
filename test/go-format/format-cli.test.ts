// `--format` through the command line (the bundled CLI, a vfs store): images,
// history, inspect, system df and ps over an imported image and created
// containers; `run` (root and busybox) for an exited container's status.
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { makeTarballs } from '../cli/fixtures.js';
import { runCli, tempDir, type CliResult } from '../cli/run-cli.js';
import { testOn, withStrata } from '../containers/fixtures.js';

interface Store {
  strata(args: readonly string[]): Promise<CliResult>;
  id: string;
}

/** A vfs store with `labelled` (CMD, two labels) and `plain` (no CMD) imported from the same tarball. */
async function withStore(t: ExecutionContext, body: (s: Store) => Promise<void>): Promise<void> {
  const dir = await tempDir('format');
  t.teardown(dir.cleanup);
  const tars = await makeTarballs(dir.path);
  const strata = (args: readonly string[]) => runCli(['--root', join(dir.path, 'root'), '--driver', 'vfs', ...args]);
  const imported = await strata(['import', '-c', 'CMD ["/bin/sh"]', '-c', 'LABEL b=2 a=1', tars.base, 'labelled:v1']);
  t.is(imported.status, 0, imported.stderr);
  t.is((await strata(['import', tars.base, 'plain'])).status, 0);
  await body({ strata, id: imported.stdout.trim() });
}

function ok(t: ExecutionContext, r: CliResult): string {
  t.is(r.status, 0, r.stderr);
  return r.stdout;
}

test('inspect --format: one line per argument; [] for an unset Cmd, map[] for no labels; json; image inspect too', (t) => withStore(t, async ({ strata, id }) => {
  t.is(ok(t, await strata(['inspect', '--format', '{{.Config.Cmd}} {{.Config.Labels}} {{.Config.Labels.a}}', 'labelled:v1', 'plain'])), '[/bin/sh] map[a:1 b:2] 1\n[] map[] <no value>\n');
  const size = /"Size": (\d+)/.exec(ok(t, await strata(['inspect', 'labelled:v1'])))![1];
  t.is(ok(t, await strata(['image', 'inspect', '-f', '{{.ID}} {{json .Config.Cmd}} {{.Size | printf "%d"}}', 'labelled:v1'])), `${id} ["/bin/sh"] ${size}\n`, 'typed: .ID, sizes are integers');
  t.is(ok(t, await strata(['image', 'inspect', '-f', '{{.Id}} {{.Config.Cmd}}', 'labelled:v1', 'plain'])).replace(/sha256:[0-9a-f]{64}/g, 'ID'), 'ID [/bin/sh]\nID <no value>\n', 'raw JSON (.Id is no typed field): a null is <no value>');
  t.is((await strata(['inspect', '-f', '{{.Id}} {{.ID}}', 'plain'])).status, 2, 'neither view has both');
  t.is(ok(t, await strata(['inspect', '--format', '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}', 'labelled:v1'])), 'a=1 b=2 \n');
  const json = JSON.parse(ok(t, await strata(['inspect', '--format', 'json', 'labelled:v1', 'plain']))) as { Id: string }[];
  t.is(json.length, 2);
  t.is(json[0]!.Id, id);
}));

test('inspect of names partly unknown: what is found is printed, one line per unknown name on stderr, status 3 (Docker goes on too)', (t) => withStore(t, async ({ strata, id }) => {
  const mixed = await strata(['inspect', 'plain', 'nosuch', 'labelled:v1']);
  t.is(mixed.status, 3);
  t.is((JSON.parse(mixed.stdout) as unknown[]).length, 2);
  t.is(mixed.stderr, 'strata: No such object: nosuch\n');
  const formatted = await strata(['inspect', '-f', '{{.ID}}', 'nosuch', 'labelled:v1']);
  t.is(formatted.stdout, `${id}\n`);
  t.is(formatted.status, 3);
  const none = await strata(['image', 'inspect', 'nosuch']);
  t.is(none.stdout, '[]\n');
  t.regex(none.stderr, /^strata: No such image: nosuch/);
}));

test('inspect --format errors: one strata line, exit 2, in Docker\'s words', (t) => withStore(t, async ({ strata }) => {
  const missing = await strata(['inspect', '--format', '{{.Config.Nope}}', 'plain']);
  t.is(missing.status, 2);
  t.is(missing.stderr, 'strata: template parsing error: template: :1:9: executing "" at <.Config.Nope>: map has no entry for key "Nope"\n');
  t.is(missing.stdout, '\n', 'as Docker: an empty line when no object printed');
  const unclosed = await strata(['inspect', '--format', '{{.Id', 'plain']);
  t.is(unclosed.status, 2);
  t.is(unclosed.stderr, 'strata: template parsing error: template: :1: unclosed action\n');
}));

test('images --format: a template per row, table with Docker\'s titles, json, -q and --digests rules', (t) => withStore(t, async ({ strata, id }) => {
  t.is(ok(t, await strata(['images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').sort().join(','), ',labelled:v1,plain:latest');
  const table = ok(t, await strata(['images', '--format', 'table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Size}}'])).split('\n');
  t.regex(table[0]!, /^REPOSITORY {3}TAG {7}IMAGE ID {7}SIZE$/);
  t.is(table.length, 4);
  t.true(table.slice(1, 3).every((line) => /^(labelled|plain) +(v1|latest) +[0-9a-f]{12} {3}\d/.test(line)), table.join('\n'));
  const rows = ok(t, await strata(['images', '--format', 'json', 'labelled'])).trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
  t.deepEqual(Object.keys(rows[0]!), ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize']);
  t.like(rows[0], { Repository: 'labelled', Tag: 'v1', Digest: '<none>', ID: id.slice(7, 19), Containers: 'N/A' });
  t.regex(rows[0]!.CreatedAt!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
  t.is(ok(t, await strata(['images', '--no-trunc', '--format', '{{.ID}}', 'labelled'])), `${id}\n`);
  t.is(ok(t, await strata(['images', '-q', '--format', '{{.Tag}}', 'labelled'])), 'v1\n', 'a custom format wins over -q');
  t.is(ok(t, await strata(['images', '-q', '--format', 'table', 'labelled'])), `${id.slice(7, 19)}\n`, '`--format table` is the default table, so -q applies');
  t.is(ok(t, await strata(['images', '--digests', '--format', 'table {{.Tag}}', 'labelled'])), 'TAG       DIGEST\nv1        <none>\n');
  const bad = await strata(['images', '--format', '{{.Nope}}']);
  t.is(bad.status, 2);
  t.is(bad.stderr, 'strata: template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext\n');
}));

test('history --format: Docker\'s fields, -H=false, --no-trunc, table header', (t) => withStore(t, async ({ strata, id }) => {
  t.is(ok(t, await strata(['history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Comment}}', 'labelled:v1'])), `${id.slice(7, 19)}||Imported from -\n`);
  t.is(ok(t, await strata(['history', '--no-trunc', '--format', '{{.ID}}', 'labelled:v1'])), `${id}\n`);
  const raw = ok(t, await strata(['history', '-H=false', '--format', '{{.CreatedSince}} {{.Size}}', 'plain']));
  t.regex(raw, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \d+\n$/);
  t.regex(ok(t, await strata(['history', '--format', 'table {{.ID}}\\t{{.Comment}}', 'plain'])), /^IMAGE {10}COMMENT\n[0-9a-f]{12} {3}Imported from -\n$/);
  t.deepEqual(Object.keys(JSON.parse(ok(t, await strata(['history', '--format', 'json', 'plain']))) as object), ['Comment', 'CreatedAt', 'CreatedBy', 'CreatedSince', 'ID', 'Size']);
}));

test('system df --format: a row per type; json; -v runs the template once over Images, Containers, Volumes, BuildCache', (t) => withStore(t, async ({ strata }) => {
  t.is(ok(t, await strata(['system', 'df', '--format', '{{.Type}}:{{.TotalCount}}'])), 'Images:2\nContainers:0\nBuild Cache:0\n');
  t.regex(ok(t, await strata(['system', 'df', '--format', 'table {{.Type}}\\t{{.Active}}'])), /^TYPE {10}ACTIVE\nImages {8}0\n/);
  t.deepEqual(Object.keys(JSON.parse(ok(t, await strata(['system', 'df', '--format', 'json'])).split('\n')[0]!) as object), ['Active', 'Reclaimable', 'Size', 'TotalCount', 'Type']);
  t.is(ok(t, await strata(['system', 'df', '-v', '--format', '{{range .Images}}{{.Repository}}:{{.Containers}}:{{.UniqueSize}} {{end}}{{len .Containers}}'])), 'plain:0:0B labelled:0:0B 0', 'one result, no newline, newest image first');
  const verbose = JSON.parse(ok(t, await strata(['system', 'df', '-v', '--format', 'json']))) as Record<string, unknown[]>;
  t.deepEqual(Object.keys(verbose), ['Images', 'Containers', 'Volumes', 'BuildCache']);
  t.regex((verbose.Images![0] as { ID: string }).ID, /^sha256:[0-9a-f]{64}$/);
  const wrong = await strata(['system', 'df', '-v', '--format', '{{.Type}}']);
  t.is(wrong.stderr, 'strata: template: :1:2: executing "" at <.Type>: can\'t evaluate field Type in type *formatter.diskUsageContext\n');
}));

test('ps and inspect --format over created containers: fields, labels from the image, table titles, -q wins with a warning', (t) => withStore(t, async ({ strata }) => {
  t.is((await strata(['create', '--name', 'one', 'labelled:v1', 'sh', '-c', 'echo hi; exit 3'])).status, 0);
  t.is((await strata(['create', '--name', 'two', 'plain', 'true'])).status, 0);
  t.is(ok(t, await strata(['ps', '-a', '--format', '{{.Names}} {{.Image}} {{.Command}} {{.State}} {{.Status}} {{.Labels}} {{.Label "a"}}'])).split('\n').sort().join('\n'),
    '\none labelled:v1 "sh -c \'echo hi; exi…" created Created a=1,b=2 1\ntwo plain "true" created Created  ');
  t.is(ok(t, await strata(['container', 'ls', '-a', '--format', 'table {{.Names}}\\t{{.Command}}'])).split('\n')[0], 'NAMES     COMMAND');
  const quiet = await strata(['ps', '-a', '-q', '--format', '{{.Names}}']);
  t.is(quiet.stderr, 'WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
  t.true(quiet.stdout.trim().split('\n').every((line) => /^[0-9a-f]{12}$/.test(line)));
  t.is(ok(t, await strata(['ps', '-a', '--no-trunc', '--format', '{{len .ID}} {{.Command}}', '--format', '{{len .ID}}'])), '64\n64\n');
  t.is(ok(t, await strata(['inspect', '--format', '{{.Name}} {{.State.Status}} {{.Path}} {{.Args}} {{.Config.Labels}} {{.Config.Entrypoint}}', 'one', 'two'])),
    '/one created sh [-c echo hi; exit 3] map[a:1 b:2] []\n/two created true [] map[] []\n');
  const mixed = await strata(['inspect', '--format', '{{.Name}}', 'one', 'plain']);
  t.is(mixed.stdout, '/one\n', 'containers and images in one call; the image has no .Name');
  t.is(mixed.stderr, 'strata: template parsing error: template: :1:2: executing "" at <.Name>: map has no entry for key "Name"\n');
  t.is(mixed.status, 2);
  t.is(ok(t, await strata(['container', 'inspect', '-f', '{{.ID}} {{json .Config.Cmd}}', 'two'])).replace(/^[0-9a-f]{64} /, 'ID '), 'ID ["true"]\n');
  const notContainer = await strata(['container', 'inspect', 'plain']);
  t.is(notContainer.status, 3, 'container inspect looks among containers only');
  t.is((await strata(['inspect', '--type', 'container', 'plain'])).status, 3, 'as inspect --type container');
  t.is(ok(t, await strata(['inspect', '--type', 'image', '-f', '{{.Config.Cmd}}', 'plain'])), '[]\n');
  t.is((await strata(['inspect', '--type', 'volume', 'plain'])).status, 2);
  const bad = await strata(['ps', '--format', '{{.Nope}}', '-a']);
  t.is(bad.stderr, 'strata: failed to execute template: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext\n');
}));

testOn(test, 'vfs', 'builtin')('ps --format after run: an exited container\'s State and Status', (t) => withStrata('vfs', 'builtin', async (s) => {
  t.is((await s.run(['--name', 'done', 'bb', 'sh', '-c', 'exit 3'])).status, 3);
  t.regex(ok(t, (await s.cli(['ps', '-a', '--format', '{{.Names}}|{{.State}}|{{.Status}}']))), /^done\|exited\|Exited \(3\) (Less than a second|\d+ seconds?) ago\n$/);
}));
