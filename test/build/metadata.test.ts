import test from 'ava';
import { BuildArgs } from '../../core/build/build-args.js';
import { createdByNop, createdByRun } from '../../core/build/created-by.js';
import { goDuration, goQuote, goQuoteRune, parseGoDuration } from '../../core/build/go-format.js';
import type { BuildConfig } from '../../core/build/image-config.js';
import { stageStartConfig } from '../../core/build/image-config.js';
import { applyMetadata } from '../../core/build/metadata.js';
import type { MetadataInstruction } from '../../core/build/metadata.js';
import { parseDockerfile } from '../../core/build/parse-dockerfile.js';

const inst = (line: string): MetadataInstruction => parseDockerfile(`FROM x\n${line}`).stages[0]!.instructions[0] as MetadataInstruction;
function apply(config: BuildConfig, lines: string[]): { config: BuildConfig; createdBy: string[] } {
  let meta = { cmdSet: false };
  const createdBy: string[] = [];
  for (const l of lines) {
    const r = applyMetadata(config, meta, inst(l));
    config = r.config; meta = r.meta;
    createdBy.push(createdByNop(config, r.comment));
  }
  return { config, createdBy };
}

test('ENTRYPOINT drops an inherited Cmd unless CMD came earlier in the stage; [] is null', (t) => {
  const base = stageStartConfig({ Cmd: ['/bin/sh'] });
  t.is(apply(base, ['ENTRYPOINT ["/e"]']).config.Cmd, null);
  t.deepEqual(apply(base, ['CMD ["x"]', 'ENTRYPOINT ["/e"]']).config.Cmd, ['x']);
  const empty = apply(base, ['ENTRYPOINT []']);
  t.is(empty.config.Entrypoint, null);
  t.deepEqual(empty.createdBy, ['/bin/sh -c #(nop)  ENTRYPOINT []']);
  t.deepEqual(apply(base, ['ENTRYPOINT echo hi']).config.Entrypoint, ['/bin/sh', '-c', 'echo hi']);
});

test('FROM scratch gets the default PATH; OnBuild is not inherited; input never modified', (t) => {
  t.deepEqual(stageStartConfig(undefined).Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  const base: BuildConfig = { Env: ['PATH=/bin'], OnBuild: ['RUN x'] };
  const start = stageStartConfig(base);
  t.is(start.OnBuild, null);
  t.deepEqual(base.OnBuild, ['RUN x']);
});

test('history strings of metadata instructions as Docker writes them', (t) => {
  const r = apply(stageStartConfig({}), [
    'CMD ["/hello"]', 'ENV A=1 B=x', 'LABEL a=b', 'EXPOSE 80/udp', 'VOLUME ["/data", "/logs"]', 'STOPSIGNAL SIGINT',
    'HEALTHCHECK --interval=5s --timeout=3s --start-period=1s --retries=2 CMD wget -q x || exit 1',
    'SHELL ["/bin/sh", "-ec"]', 'WORKDIR /srv', 'WORKDIR sub', 'USER nobody', 'MAINTAINER Jane', 'ONBUILD RUN x', 'HEALTHCHECK NONE',
  ]);
  t.deepEqual(r.createdBy, [
    '/bin/sh -c #(nop)  CMD ["/hello"]',
    '/bin/sh -c #(nop)  ENV A=1 B=x',
    '/bin/sh -c #(nop)  LABEL a=b',
    '/bin/sh -c #(nop)  EXPOSE 80/udp',
    '/bin/sh -c #(nop)  VOLUME [/data /logs]',
    '/bin/sh -c #(nop)  STOPSIGNAL SIGINT',
    '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "wget -q x || exit 1"] "5s" "3s" "1s" \'\\x02\'}',
    '/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]',
    '/bin/sh -ec #(nop) WORKDIR /srv',
    '/bin/sh -ec #(nop) WORKDIR /srv/sub',
    '/bin/sh -ec #(nop)  USER nobody',
    '/bin/sh -ec #(nop)  MAINTAINER Jane',
    '/bin/sh -ec #(nop)  ONBUILD RUN x',
    '/bin/sh -ec #(nop)  HEALTHCHECK &{["NONE"] "0s" "0s" "0s" \'\\x00\'}',
  ]);
  t.like(r.config, { WorkingDir: '/srv/sub', User: 'nobody', StopSignal: 'SIGINT', Shell: ['/bin/sh', '-ec'], OnBuild: ['RUN x'], Healthcheck: { Test: ['NONE'] } });
  t.deepEqual(r.config.ExposedPorts, { '80/udp': {} });
  t.deepEqual(r.config.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1', 'B=x']);
});

test('ENV replaces in place; EXPOSE ranges and default tcp; bad values fail with the line', (t) => {
  const r = apply({ Env: ['A=1', 'B=2'] }, ['ENV A=3', 'EXPOSE 8000-8001 53/UDP']);
  t.deepEqual(r.config.Env, ['A=3', 'B=2']);
  t.deepEqual(Object.keys(r.config.ExposedPorts!), ['53/udp', '8000/tcp', '8001/tcp']);
  t.throws(() => apply({}, ['EXPOSE abc']), { message: 'Dockerfile:2: EXPOSE: Invalid containerPort: abc' });
  t.throws(() => apply({}, ['HEALTHCHECK --interval=1x CMD true']), { message: /time: invalid duration "1x"/ });
  t.throws(() => apply({}, ['HEALTHCHECK --retries=-1 CMD true']), { message: /--retries must be at least 1 \(not -1\)/ });
  t.throws(() => apply({}, ['HEALTHCHECK --retries=0 CMD true']), { message: /--retries must be at least 1 \(not 0\)/ });
  t.throws(() => apply({}, ['HEALTHCHECK --timeout=1us CMD true']), { message: /Interval "timeout" cannot be less than 1ms/ });
});

test('RUN created_by: |N K=V prefix for the args that reach it, |0 for proxies only, none without build args', (t) => {
  const cmd = { shell: 'echo $A' };
  const none = new BuildArgs().stage();
  t.is(createdByRun({}, cmd, none), '/bin/sh -c echo $A');
  const args = new BuildArgs({ B: 'bee', HTTP_PROXY: 'http://p' }).stage();
  t.is(createdByRun({}, cmd, args), '|0 /bin/sh -c echo $A');
  args.declare('A', '1');
  args.declare('B');
  t.is(createdByRun({}, cmd, args), '|2 A=1 B=bee /bin/sh -c echo $A');
  t.is(createdByRun({ Env: ['A=env'] }, cmd, args), '|1 B=bee /bin/sh -c echo $A');
  t.deepEqual(args.runEnv([]), ['A=1', 'B=bee', 'HTTP_PROXY=http://p']);
  t.is(createdByRun({}, { exec: ['/bin/echo', 'a b'] }, none), '/bin/echo a b');
});

test('global ARGs are invisible in a stage until declared again; --build-arg wins; unconsumed reported', (t) => {
  const build = new BuildArgs({ L: 'override', X: 'unused' });
  build.declareGlobal('G', 'global');
  build.declareGlobal('L', 'g');
  const stage = build.stage();
  t.is(stage.lookup([])('G'), undefined);
  stage.declare('G');
  t.is(stage.value('G'), 'global');
  stage.declare('L', 'local');
  t.is(stage.value('L'), 'override');
  t.deepEqual(build.unconsumed(), ['X']);
});

test('Go formatting helpers', (t) => {
  t.is(goQuote('a"b\\c\n\x01é'), '"a\\"b\\\\c\\n\\x01é"');
  t.is(goQuoteRune(2), "'\\x02'");
  t.is(goQuoteRune(65), "'A'");
  t.is(goDuration(90e9), '1m30s');
  t.is(goDuration(1.5e9), '1.5s');
  t.is(goDuration(500e6), '500ms');
  t.is(goDuration(3600e9), '1h0m0s');
  t.is(parseGoDuration('1m30s'), 90e9);
  t.is(parseGoDuration('1.5s'), 1.5e9);
  t.is(parseGoDuration('5'), undefined);
});
