import test from 'ava';
import {
  bytesSize,
  commandCell,
  containerStatus,
  createdAgo,
  ellipsis,
  formatDockerTable,
  formatGoG,
  humanDuration,
  humanSize,
  imageIdCell,
  imageSize,
  reclaimableCell,
  rfc3339Seconds,
  truncateId,
} from '../../cli/format/index.js';

test("sizes print as the docker CLI prints them (figures from Docker 20.10's output)", (t) => {
  t.is(imageSize(166), '166B');
  t.is(imageSize(1_982_320), '1.98MB');
  t.is(humanSize(1_982_320), '1.982MB');
  t.is(humanSize(3_964_640), '3.965MB');
  t.is(imageSize(861_000), '861kB');
  t.is(imageSize(861_400), '861kB');
  t.is(imageSize(1_234_567), '1.23MB');
  t.is(imageSize(0), '0B');
  t.is(imageSize(999), '999B');
  t.is(imageSize(1000), '1kB');
  t.is(imageSize(1500), '1.5kB');
  t.is(imageSize(72_800_000), '72.8MB');
  t.is(imageSize(1_000_000_000_000), '1TB');
  t.is(bytesSize(1536), '1.5KiB');
});

test("Go's %g quirks are kept: exponent form past the precision, ties to even", (t) => {
  t.is(imageSize(999_950), '1e+03kB');
  t.is(imageSize(1125), '1.12kB');
  t.is(imageSize(1135), '1.14kB');
  t.is(imageSize(100_500), '100kB');
  t.is(imageSize(101_500), '102kB');
  t.is(formatGoG(0.0001234, 3), '0.000123');
  t.is(formatGoG(0.00001234, 3), '1.23e-05');
  t.is(formatGoG(123456, 3), '1.23e+05');
  t.is(formatGoG(2.5, 1), '2');
  t.is(formatGoG(3.5, 1), '4');
  t.is(formatGoG(9.99, 2), '10');
  t.is(formatGoG(99.96, 3), '100');
});

test('reclaimable cells carry a rounded-down percentage', (t) => {
  t.is(reclaimableCell(166, 166), '166B (100%)');
  t.is(reclaimableCell(0, 0), '0B');
  t.is(reclaimableCell(1, 3), '1B (33%)');
  t.is(reclaimableCell(3_964_640, 3_964_640), '3.965MB (100%)');
});

test('ages read as Docker prints CREATED', (t) => {
  const s = 1000;
  const cases: Array<[number, string]> = [
    [-5 * s, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * s, '1 second'],
    [4 * s, '4 seconds'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [120 * s, '2 minutes'],
    [59 * 60 * s, '59 minutes'],
    [60 * 60 * s, 'About an hour'],
    [89 * 60 * s, 'About an hour'],
    [90 * 60 * s, '2 hours'],
    [47 * 3600 * s, '47 hours'],
    [48 * 3600 * s, '2 days'],
    [13 * 86400 * s, '13 days'],
    [14 * 86400 * s, '2 weeks'],
    [21 * 86400 * s, '3 weeks'],
    [59 * 86400 * s, '8 weeks'],
    [60 * 86400 * s, '2 months'],
    [729 * 86400 * s, '24 months'],
    [730 * 86400 * s, '2 years'],
  ];
  for (const [ms, text] of cases) t.is(humanDuration(ms), text, `${ms} ms`);
  const created = new Date('2026-11-29T18:49:13.531Z');
  t.is(createdAgo(created, new Date('2026-11-29T18:49:13.900Z')), 'Less than a second ago');
  t.is(createdAgo(created, new Date('2026-11-29T18:49:14.100Z')), '1 second ago', 'created is whole seconds');
  t.is(createdAgo(created, new Date('2026-11-29T18:51:20Z')), '2 minutes ago');
  t.is(rfc3339Seconds(created), '2026-11-29T18:49:13Z');
});

test('tables match docker images byte for byte', (t) => {
  const ago = 'Less than a second ago';
  const table = formatDockerTable([
    ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
    ['hello', 'latest', 'eccb0321b80a', ago, '166B'],
    ['hello', 'v1', 'eccb0321b80a', ago, '166B'],
    ['localhost:5000/team/hello', 't', 'eccb0321b80a', ago, '166B'],
    ['<none>', '<none>', 'c07794d037cf', ago, '166B'],
  ]);
  // Pasted from `docker images` (notes/docker-images.md).
  t.is(
    table,
    [
      'REPOSITORY                  TAG       IMAGE ID       CREATED                  SIZE',
      'hello                       latest    eccb0321b80a   Less than a second ago   166B',
      'hello                       v1        eccb0321b80a   Less than a second ago   166B',
      'localhost:5000/team/hello   t         eccb0321b80a   Less than a second ago   166B',
      '<none>                      <none>    c07794d037cf   Less than a second ago   166B',
      '',
    ].join('\n'),
  );
  t.is(
    formatDockerTable([
      ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
      ['a8bad2facdbf', '30 seconds ago', ellipsis('sh -c echo x > /tmp/new; mkdir -p /etc/x; echo y >> /etc/passwd; rm /bin/sh', 45), '34B', ''],
      ['624b7c8be785', '31 seconds ago', '', '1.98MB', 'Imported from -'],
    ]),
    [
      'IMAGE          CREATED          CREATED BY                                      SIZE      COMMENT',
      'a8bad2facdbf   30 seconds ago   sh -c echo x > /tmp/new; mkdir -p /etc/x; ec…   34B       ',
      '624b7c8be785   31 seconds ago                                                   1.98MB    Imported from -',
      '',
    ].join('\n'),
  );
  t.is(formatDockerTable([['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']]), 'REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n');
});

test('ids truncate to 12 hex unless --no-trunc', (t) => {
  const id = 'sha256:eccb0321b80a576f237372cece81026273b2ef1c8883c140033e8a926ef71af7';
  t.is(truncateId(id), 'eccb0321b80a');
  t.is(truncateId('eccb0321b80a576f'), 'eccb0321b80a');
  t.is(imageIdCell(id, false), 'eccb0321b80a');
  t.is(imageIdCell(id, true), id);
  t.is(ellipsis('short', 20), 'short');
  t.is(ellipsis("sh -c 'echo hi; exit 3'", 20), "sh -c 'echo hi; exi…");
});

test('docker ps STATUS and COMMAND cells', (t) => {
  const now = new Date('2026-11-29T19:20:00Z');
  t.is(containerStatus({ status: 'created' }, now), 'Created');
  t.is(containerStatus({ status: 'exited', exitCode: 3, finishedAt: new Date('2026-11-29T19:19:59.5Z') }, now), 'Exited (3) Less than a second ago');
  t.is(containerStatus({ status: 'exited', exitCode: 0, finishedAt: new Date('2026-11-29T19:19:54Z') }, now), 'Exited (0) 6 seconds ago');
  t.is(containerStatus({ status: 'running', startedAt: new Date('2026-11-29T19:17:00Z') }, now), 'Up 3 minutes');
  t.is(commandCell(['sh', '-c', 'echo hi; exit 3'], false), `"sh -c 'echo hi; exi…"`);
  t.is(commandCell(['sh', '-c', 'echo hi; exit 3'], true), `"sh -c 'echo hi; exit 3'"`);
  t.is(commandCell(['/hello'], false), '"/hello"');
});
