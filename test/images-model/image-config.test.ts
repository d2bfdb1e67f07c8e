import test from 'ava';
import { createHash } from 'node:crypto';
import { ErrorCode, isStrataError } from '../../core/errors.js';
import { applyChanges } from '../../core/images/change-instructions.js';
import { formatCreated, goJsonString, serializeImageConfig } from '../../core/images/config-json.js';
import {
  formatPlatform,
  hostPlatform,
  layerHistory,
  parseImageConfig,
  parsePlatform,
  samePlatform,
} from '../../core/images/image-config.js';
import type { ImageConfig } from '../../core/images/image-config.js';
import { committedImageConfig, importedImageConfig } from '../../core/images/new-config.js';
import { DOCKER_CONFIGS } from './docker-recorded.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const HELLO_DIFF_ID = 'sha256:bc17230cf5cb5939026df6fb5801d05736c7c8138a537c2ea81b423fc074ddf0';
const LINUX_AMD64 = { os: 'linux', architecture: 'amd64' };
const DOCKER_VERSION = '20.10.24+dfsg1';

test("Docker's own configs parse and re-serialise to the very same bytes", (t) => {
  for (const [id, raw] of Object.entries(DOCKER_CONFIGS)) {
    const config = parseImageConfig(raw, { what: `config ${id.slice(0, 12)}` });
    const bytes = serializeImageConfig(config);
    t.is(bytes.toString(), raw, id);
    t.is(sha256(bytes), id);
  }
});

test('unknown fields are kept by the parser', (t) => {
  const raw = JSON.parse(DOCKER_CONFIGS['eccb0321b80a576f237372cece81026273b2ef1c8883c140033e8a926ef71af7']!);
  raw['x-vendor'] = { a: 1 };
  raw.config.FutureField = 'kept';
  const config = parseImageConfig(JSON.stringify(raw), { what: 'c' }) as Record<string, unknown>;
  t.deepEqual(config['x-vendor'], { a: 1 });
  t.is((config['config'] as Record<string, unknown>)['FutureField'], 'kept');
});

test('bad configs fail in one line naming the field', (t) => {
  const base = JSON.parse(DOCKER_CONFIGS['eccb0321b80a576f237372cece81026273b2ef1c8883c140033e8a926ef71af7']!);
  const cases: Array<[unknown, string]> = [
    [{ ...base, rootfs: { type: 'layers', diff_ids: ['sha256:zz'] } }, 'rootfs.diff_ids[0]'],
    [{ ...base, rootfs: { type: 'other', diff_ids: [] } }, 'rootfs.type'],
    [{ ...base, architecture: undefined }, 'architecture'],
    [{ ...base, config: { ...base.config, Env: 'A=1' } }, 'config.Env'],
    [{ ...base, history: [{ empty_layer: 'yes' }] }, 'history[0].empty_layer'],
  ];
  for (const [doc, fragment] of cases) {
    const err = t.throws(() => parseImageConfig(JSON.stringify(doc), { what: 'config.json', code: ErrorCode.EBADARCHIVE }));
    t.true(isStrataError(err, ErrorCode.EBADARCHIVE));
    t.true(err!.message.startsWith(`config.json: ${fragment}`), err!.message);
  }
  const err = t.throws(() => parseImageConfig('{"a":"' + 'x'.repeat(5 * 1024 * 1024) + '"}', { what: 'huge' }));
  t.true(isStrataError(err, ErrorCode.ECORRUPT));
});

test('strata builds the config of `docker import -c` byte for byte (same image id as Docker)', (t) => {
  const cases: Array<[string, string, string[], string?]> = [
    ['eccb0321b80a576f237372cece81026273b2ef1c8883c140033e8a926ef71af7', '2026-11-29T18:49:13.531420631Z', ['CMD ["/hello"]']],
    ['c07794d037cf6d68d8d0f19b25a9f94effb33ca1e274255e6342bd58ca1f2887', '2026-11-29T18:49:13.578924683Z', ['CMD ["/hello"]'], 'hello from strata notes'],
    ['d54c3c4858d0786e9d03a3072166439bb03deb61ee16b8005632338b885378a4', '2026-11-29T18:49:13.62525934Z', ['CMD ["/hello"]', 'ENV A=1 B=2', 'EXPOSE 80', 'WORKDIR /w']],
    [
      '1895e04b264bf4a65787b919653eba6c019a8a1081d8c11de989098f44bf6adc',
      '2026-11-29T18:50:08.969642311Z',
      [
        'CMD /hello --flag "q"',
        'ENTRYPOINT echo hi',
        'ENV A 1 2',
        'ENV B="x y" C=z\\ w',
        'EXPOSE 80 443/udp 8080-8081',
        'LABEL a=b "c d"="e f"',
        'LABEL old style',
        'USER 1000:1000',
        'VOLUME ["/data", "/d2"]',
        'VOLUME /v1 /v2',
        'WORKDIR rel',
        'WORKDIR /abs',
        'WORKDIR sub',
      ],
    ],
  ];
  for (const [id, created, changes, message] of cases) {
    const config = importedImageConfig({
      created,
      diffId: HELLO_DIFF_ID,
      config: applyChanges({}, changes),
      platform: LINUX_AMD64,
      dockerVersion: DOCKER_VERSION,
      ...(message === undefined ? {} : { message }),
    });
    t.is(serializeImageConfig(config).toString(), DOCKER_CONFIGS[id], id);
  }
});

test('strata builds the config of `docker commit -c` byte for byte', (t) => {
  const docker = parseImageConfig(DOCKER_CONFIGS['a8bad2facdbfe55c509a4e07b3fd79e577eb0e80e2aa8ce8f01cc125ec3f3709']!, { what: 'c' });
  const parent: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    history: [docker.history![0]!],
    rootfs: { type: 'layers', diff_ids: [docker.rootfs.diff_ids[0]!] },
  };
  const config = committedImageConfig({
    parent,
    created: docker.created!,
    containerId: docker.container!,
    containerConfig: docker.container_config!,
    config: applyChanges(docker.container_config!, ['CMD ["/bin/busybox","ls"]', 'ENV X=1']),
    diffId: docker.rootfs.diff_ids[1]!,
    dockerVersion: DOCKER_VERSION,
  });
  t.is(sha256(serializeImageConfig(config)), 'a8bad2facdbfe55c509a4e07b3fd79e577eb0e80e2aa8ce8f01cc125ec3f3709');
  const signed = parseImageConfig(DOCKER_CONFIGS['12acb20f72abc7cea792670f9301391d630c5561194ed66482c8bd73e7836ee6']!, { what: 'c' });
  const rebuilt = committedImageConfig({
    parent: { ...parent, history: [signed.history![0]!], rootfs: { type: 'layers', diff_ids: [signed.rootfs.diff_ids[0]!] } },
    created: signed.created!,
    containerId: signed.container!,
    containerConfig: signed.container_config!,
    config: signed.container_config!,
    diffId: signed.rootfs.diff_ids[1]!,
    dockerVersion: DOCKER_VERSION,
    message: 'a message',
    author: 'Ann Author <ann@example.org>',
  });
  t.is(sha256(serializeImageConfig(rebuilt)), '12acb20f72abc7cea792670f9301391d630c5561194ed66482c8bd73e7836ee6', 'commit -m -a');
  const withMessage = committedImageConfig({ parent, created: new Date(0), containerId: 'c', containerConfig: {}, config: {}, diffId: HELLO_DIFF_ID, message: 'm', author: 'Ann <a@b>' });
  t.is(withMessage.author, 'Ann <a@b>');
  t.deepEqual(withMessage.history!.at(-1), { created: '1970-01-01T00:00:00Z', author: 'Ann <a@b>', created_by: '', comment: 'm' });
  t.regex(serializeImageConfig(withMessage).toString(), /"author":"Ann \\u003ca@b\\u003e"/);
});

test('history pairs non-empty steps with diff_ids', (t) => {
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [HELLO_DIFF_ID, `sha256:${'1'.repeat(64)}`] },
    history: [{ created_by: 'ADD' }, { created_by: 'ENV', empty_layer: true }, { created_by: 'RUN' }],
  };
  t.deepEqual(layerHistory(config).map((s) => s.diffId), [HELLO_DIFF_ID, undefined, `sha256:${'1'.repeat(64)}`]);
  t.deepEqual(layerHistory({ ...config, history: [] }).length, 2);
  const err = t.throws(() => layerHistory({ ...config, history: [{}, {}, {}] }));
  t.true(isStrataError(err, ErrorCode.ECORRUPT));
});

test('platforms: the host in OCI terms, normalised comparison, --platform parsing', (t) => {
  const host = hostPlatform();
  t.is(host.os, 'linux');
  t.true(['amd64', 'arm64'].includes(host.architecture));
  if (host.architecture === 'arm64') t.is(host.variant, 'v8');
  t.true(samePlatform({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }));
  t.false(samePlatform({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm' }));
  t.is(formatPlatform(parsePlatform('linux/arm64')), 'linux/arm64/v8');
  t.is(formatPlatform(parsePlatform('linux/amd64')), 'linux/amd64');
  t.throws(() => parsePlatform('linux'), { message: /invalid platform "linux"/ });
});

test('Go-compatible encoding details', (t) => {
  t.is(goJsonString('a<b>&c\u2028\b\f\n'), '"a\\u003cb\\u003e\\u0026c\\u2028\\u0008\\u000c\\n"');
  t.is(formatCreated(new Date('2026-11-29T18:49:13.500Z')), '2026-11-29T18:49:13.5Z');
  t.is(formatCreated(new Date('2026-11-29T18:49:13.000Z')), '2026-11-29T18:49:13Z');
  const bytes = serializeImageConfig({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { b: '1', a: '2' }, StopTimeout: 0 } });
  t.regex(bytes.toString(), /"Labels":\{"a":"2","b":"1"\},"StopTimeout":0\}/);
});
