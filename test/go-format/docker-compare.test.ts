// The same `--format` templates through strata and through Docker (docker.io's
// CLI and a private dockerd on a temporary root), over the same images (docker
// load of a `strata save` tar) and containers created alike. Only fields that
// do not depend on the clock, the ids or the daemon's networks are compared.
import { join } from 'node:path';
import test from 'ava';
import { makeTarballs } from '../cli/fixtures.js';
import { runCli, tempDir } from '../cli/run-cli.js';
import { Dockerd } from '../helpers/peers/dockerd.js';

const reason = await Dockerd.unmet();

const INSPECT = [
  '{{.Config.Cmd}}', '{{.Config.Labels}}', '{{.Config.Entrypoint}}', '{{.Config.Env}}', '{{.RepoTags}}', '{{.Size}}', '{{json .Config.Cmd}}',
  '{{index .Config.Labels "a"}}|{{.Config.Labels.a}}|{{.Config.Labels.zz}}', '{{len .RootFS.Layers}} {{json .RootFS}}', '{{.Id}} {{.Config.Cmd}}', '{{.ID}}',
  '{{range .RepoTags}}{{.}},{{end}}', '{{printf "%q %v %s" .Id .RepoTags .Os}}', 'a\\tb {{.Os}} ', '{{if .Config.Cmd}}cmd{{else}}none{{end}}',
  '{{json .Config.Labels}} {{.GraphDriver.Data}} {{json .GraphDriver.Data}} {{json .RepoDigests}}', '{{upper .Os | printf "%s-%s" .Architecture}}',
  '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', '{{with .Config.Labels}}{{.b}}{{else}}none{{end}}', '{{join .Config.Cmd ","}}-{{title .Os}}-{{pad .Os 1 2}}-{{truncate .Architecture 3}}',
];
const IMAGES = [
  'table {{.Repository}}:{{.Tag}}\\t{{.ID}}', '{{.ID}}|{{.Repository}}|{{.Tag}}|{{.Digest}}|{{.Size}}|{{.VirtualSize}}|{{.SharedSize}}|{{.UniqueSize}}|{{.Containers}}',
  'table {{.Digest}}\\t{{.Size}}\\t{{.VirtualSize}}\\t{{.SharedSize}}\\t{{.UniqueSize}}\\t{{.Containers}}', 'table {{upper .Repository}}\\t{{.Tag | printf "%-8s|"}}',
  '  {{.Repository}}\\n{{.Tag}}  ', '{{json .Size}} {{lower .Tag}}',
];
const HISTORY = ['table {{.ID}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}', '{{.ID}} {{.CreatedAt}}', '{{json .Comment}}'];
const CONTAINER_INSPECT = [
  '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{.Path}} {{.Args}} {{.State.Running}} {{.RestartCount}} {{.Platform}}',
  '{{.Config.Cmd}} {{.Config.Entrypoint}} {{.Config.Labels}} {{.Config.Image}} {{.Config.Labels.zz}}', '{{json .Args}} {{json .Config.Entrypoint}} {{.HostConfig.Binds}} {{.Mounts}}',
];
const PS = ['table {{.Names}}\\t{{.Status}}', '{{.Image}} {{.Command}} {{.Status}} {{.State}} {{.Names}} {{.Labels}} {{.Mounts}} {{.Ports}} {{.LocalVolumes}}|{{.Label "a"}}|{{.Platform}}', 'table {{.Command}}\\t{{.State}}\\t{{.Labels}}\\t{{.Image}}'];

if (reason !== undefined) {
  test.skip(`strata's --format output matches docker's (skipped: ${reason})`, () => undefined);
} else {
  test("strata's --format output matches docker's for inspect (images, containers), images, history and ps", async (t) => {
    const dir = await tempDir('format-docker');
    t.teardown(dir.cleanup);
    const daemon = await Dockerd.start();
    t.teardown(() => daemon.stop());
    const strata = async (args: readonly string[]) => {
      const r = await runCli(['--root', join(dir.path, 'root'), '--driver', 'vfs', ...args]);
      if (r.status !== 0) throw new Error(r.stderr);
      return r.stdout;
    };
    const tars = await makeTarballs(dir.path);
    await strata(['import', '-c', 'CMD ["/bin/sh"]', '-c', 'LABEL b=2 a=1', tars.base, 'labelled:v1']);
    await strata(['import', tars.base, 'plain']);
    const archive = join(dir.path, 'images.tar');
    await strata(['save', '-o', archive, 'labelled:v1', 'plain']);
    await daemon.docker(['load', '-i', archive]);
    for (const tool of [strata, (args: readonly string[]) => daemon.docker(args)]) {
      await tool(['create', '--name', 'one', 'labelled:v1', 'sh', '-c', 'echo hi; exit 3']);
      await tool(['create', '--name', 'two', 'plain', 'true']);
    }
    const both = async (args: readonly string[]) => t.is(await strata(args), await daemon.docker(args), args.join(' '));
    for (const format of INSPECT) await both(['inspect', '--format', format, 'labelled:v1', 'plain']);
    for (const format of IMAGES) for (const ref of ['labelled', 'plain']) await both(['images', '--format', format, ref]);
    await both(['images', '--digests', '--format', 'table {{.Tag}}', 'labelled']);
    await both(['images', '--no-trunc', '-q', '--format', '{{.ID}}', 'plain']);
    for (const format of HISTORY) await both(['history', '--format', format, 'labelled:v1']);
    await both(['history', '-H=false', '--no-trunc', '--format', '{{.ID}} {{.CreatedSince}} {{.Size}}', 'plain']);
    for (const format of PS) await both(['ps', '-a', '--format', format]);
    await both(['ps', '-a', '--no-trunc', '--format', '{{len .ID}} {{.Command}}']);
    for (const format of CONTAINER_INSPECT) await both(['inspect', '--format', format, 'one', 'two']);
    await both(['container', 'inspect', '-f', '{{.Name}} {{.Config.Labels.a}}', 'one']);

    // Errors: the same words (Docker exits 1 or 64, strata 2).
    for (const [args, words] of [
      [['inspect', '--format', '{{.Config.Nope}}', 'plain'], 'map has no entry for key "Nope"'],
      [['images', '--format', '{{.Nope}}'], "can't evaluate field Nope in type *formatter.imageContext"],
      [['images', '--format', '{{.ID'], 'unclosed action'],
      [['history', '--format', '{{.Nope}}', 'plain'], "can't evaluate field Nope in type *image.historyContext"],
    ] as const) {
      const docker = await daemon.docker(args).then(() => '', (err: Error) => err.message);
      const ours = await runCli(['--root', join(dir.path, 'root'), '--driver', 'vfs', ...args]);
      t.is(ours.status, 2);
      t.true(docker.includes(words), docker);
      t.true(docker.includes(ours.stderr.replace(/^strata: /, '').trim()), `${ours.stderr} vs ${docker}`);
    }
  });
}
