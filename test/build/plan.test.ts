import test from 'ava';
import { BuildArgs } from '../../core/build/build-args.js';
import { parseDockerfile } from '../../core/build/parse-dockerfile.js';
import { planBuild } from '../../core/build/plan.js';

const DF = `ARG BASE=busybox
FROM \${BASE} AS a
FROM busybox AS b
FROM scratch AS c
COPY --from=a /x /x
COPY --from=1 /y /y
FROM c AS d
COPY --from=other:image /z /z
FROM busybox AS unused
`;

test('target needs its FROM and COPY --from stages, transitively; independent stages share a level', (t) => {
  const plan = planBuild(parseDockerfile(DF), { target: 'D' });
  t.is(plan.target, 3);
  t.deepEqual(plan.needed, [0, 1, 2, 3]);
  t.deepEqual(plan.levels, [[0, 1], [2], [3]]);
  t.deepEqual(plan.stages[0]!.base, { kind: 'image', ref: 'busybox' });
  t.deepEqual(plan.stages[2]!.base, { kind: 'scratch' });
  t.deepEqual(plan.stages[3]!.base, { kind: 'stage', index: 2 });
  t.deepEqual(plan.stages[2]!.dependsOn, [0, 1]);
  t.deepEqual(plan.images.sort(), ['busybox', 'other:image']);
});

test('default target is the last stage; --build-arg changes FROM', (t) => {
  const plan = planBuild(parseDockerfile(DF), { buildArgs: new BuildArgs({ BASE: 'alpine' }) });
  t.is(plan.target, 4);
  t.deepEqual(plan.needed, [4]);
  t.deepEqual(plan.stages[0]!.base, { kind: 'image', ref: 'alpine' });
});

test('FROM names only earlier stages; a global ARG can name one', (t) => {
  const plan = planBuild(parseDockerfile('ARG S=first\nFROM busybox AS first\nFROM ${S}\n'));
  t.deepEqual(plan.stages[1]!.base, { kind: 'stage', index: 0 });
  const later = planBuild(parseDockerfile('FROM second AS first\nFROM busybox AS second\n'));
  t.deepEqual(later.stages[0]!.base, { kind: 'image', ref: 'second' });
});

test('bad references fail naming the line', (t) => {
  t.throws(() => planBuild(parseDockerfile('FROM busybox\nCOPY --from=0 /a /b\n')), { message: 'Dockerfile:2: COPY: invalid from flag value 0: stage 0 is not an earlier build stage' });
  t.throws(() => planBuild(parseDockerfile('FROM busybox AS me\nCOPY --from=me /a /b\n')), { message: /a stage cannot copy from itself/ });
  t.throws(() => planBuild(parseDockerfile('FROM busybox AS a\n'), { target: 'nope' }), { message: /failed to reach build target nope/ });
  t.throws(() => planBuild(parseDockerfile('ARG B\nFROM ${B}\n')), { message: /^Dockerfile:2: FROM: base name/ });
});
