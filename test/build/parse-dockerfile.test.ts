import test from 'ava';
import { isStrataError } from '../../core/errors.js';
import { parseDockerfile } from '../../core/build/parse-dockerfile.js';
import type { Instruction } from '../../core/build/instructions.js';

const parse = (text: string) => parseDockerfile(text, 'Dockerfile');
const only = (text: string): Instruction => parse(`FROM x\n${text}`).stages[0]!.instructions[0]!;

test('global ARGs before FROM, stages with AS names (lower-cased), lines', (t) => {
  const df = parse('ARG BASE=busybox\nARG V\n\nfrom ${BASE} AS Build\nRUN true\nFROM scratch\nCOPY --from=build /a /b\n');
  t.deepEqual(df.globalArgs.map((a) => a.args), [[{ key: 'BASE', value: 'busybox' }], [{ key: 'V' }]]);
  t.is(df.stages.length, 2);
  t.is(df.stages[0]!.name, 'build');
  t.is(df.stages[0]!.from.image, '${BASE}');
  t.is(df.stages[0]!.from.line, 4);
  const copy = df.stages[1]!.instructions[0]!;
  t.is(copy.line, 7);
  t.like(copy, { keyword: 'COPY', sources: ['/a'], dest: '/b', flags: { from: 'build' } });
});

test('continuations join lines as Docker does: comment lines dropped, white space kept', (t) => {
  const run = only('run echo one > /one && \\\n  # a comment\n    echo two >> /one\n');
  t.like(run, { keyword: 'RUN', command: { shell: 'echo one > /one &&     echo two >> /one' }, line: 2, endLine: 4 });
});

test('# escape=` makes the backtick the continuation and escape character', (t) => {
  const df = parse('# escape=`\nFROM x\nRUN echo a\\b `\n    > /esc\n');
  t.is(df.escape, '`');
  t.like(df.stages[0]!.instructions[0]!, { command: { shell: 'echo a\\b     > /esc' } });
});

test('exec form keeps spaces inside strings; invalid JSON is shell form', (t) => {
  t.like(only('CMD ["a b",  "c"]'), { command: { exec: ['a b', 'c'] } });
  t.like(only('CMD [echo, "x"]'), { command: { shell: '[echo, "x"]' } });
  t.like(only("RUN ['echo', 'single']"), { command: { shell: "['echo', 'single']" } });
  t.like(only('ENTRYPOINT [1, 2]'), { command: { shell: '[1, 2]' } });
  t.like(only('CMD'), { command: { shell: '' } });
});

test('ENV and LABEL: both forms, quotes kept for the expansion', (t) => {
  t.like(only('ENV A=1 B="x y" C=a\\ b'), { pairs: [{ key: 'A', value: '1' }, { key: 'B', value: '"x y"' }, { key: 'C', value: 'a\\ b' }] });
  t.like(only('ENV F value with  spaces'), { pairs: [{ key: 'F', value: 'value with  spaces' }] });
  t.like(only('LABEL "b c"="d e"'), { pairs: [{ key: '"b c"', value: '"d e"' }] });
  t.throws(() => only('ENV A=1 B'), { message: /^Dockerfile:2: ENV: Syntax error - can't find = in "B"/ });
});

test('HEALTHCHECK with options, NONE; SHELL needs JSON; ONBUILD keeps the trigger text', (t) => {
  t.like(only('HEALTHCHECK --interval=5s --retries=2 CMD wget -q x'), { none: false, flags: { interval: '5s', retries: '2' }, command: { shell: 'wget -q x' } });
  t.like(only('healthcheck none'), { none: true });
  t.like(only('SHELL ["/bin/sh", "-ec"]'), { shell: ['/bin/sh', '-ec'] });
  t.throws(() => only('SHELL /bin/sh'), { message: 'Dockerfile:2: SHELL: SHELL requires the arguments to be in JSON form' });
  const ob = only('onbuild  run   echo x');
  t.like(ob, { keyword: 'ONBUILD', expression: 'run   echo x', trigger: { keyword: 'RUN', command: { shell: 'echo x' } } });
  t.throws(() => only('ONBUILD FROM y'), { message: /FROM isn't allowed as an ONBUILD trigger/ });
});

test('heredocs (BuildKit syntax) are read into the instruction', (t) => {
  const df = parse('FROM x\nRUN <<EOF\necho hi\nEOF\nCOPY <<-"A" /a\n\tline\n\tA\nENV X=1\n');
  const [run, copy, env] = df.stages[0]!.instructions;
  t.like(run, { keyword: 'RUN', heredocs: [{ name: 'EOF', content: 'echo hi\n', expand: true }] });
  t.like(copy, { keyword: 'COPY', heredocs: [{ name: 'A', content: 'line\n', expand: false, chomp: true }] });
  t.like(env, { keyword: 'ENV', line: 8 });
});

test('bad input: one line naming the file, the line and the instruction, with Docker 20.10\'s wording', (t) => {
  // The text after `FILE:LINE: KEYWORD: ` is what `docker build` (20.10, classic builder) printed for each.
  const cases: [string, string][] = [
    ['FROM x\nRUN true\nFOO bar\n', 'Dockerfile:3: FOO: unknown instruction: FOO'],
    ['FROM x\nfoo bar\n', 'Dockerfile:2: FOO: unknown instruction: FOO'],
    ['FROM x\nWORKDIR\n', 'Dockerfile:2: WORKDIR: WORKDIR requires exactly one argument'],
    ['FROM x\nUSER\n', 'Dockerfile:2: USER: USER requires exactly one argument'],
    ['FROM x\nEXPOSE\n', 'Dockerfile:2: EXPOSE: EXPOSE requires at least one argument'],
    ['FROM x\nARG\n', 'Dockerfile:2: ARG: ARG requires at least one argument'],
    ['FROM x\nONBUILD\n', 'Dockerfile:2: ONBUILD: ONBUILD requires at least one argument'],
    ['FROM x\nSHELL\n', 'Dockerfile:2: SHELL: SHELL requires at least one argument'],
    ['FROM x\nSHELL sh\n', 'Dockerfile:2: SHELL: SHELL requires the arguments to be in JSON form'],
    ['FROM x\nHEALTHCHECK\n', 'Dockerfile:2: HEALTHCHECK: HEALTHCHECK requires at least one argument'],
    ['FROM x\nHEALTHCHECK CMD\n', 'Dockerfile:2: HEALTHCHECK: Missing command after HEALTHCHECK CMD'],
    ['FROM x\nHEALTHCHECK foo\n', 'Dockerfile:2: HEALTHCHECK: Unknown type "FOO" in HEALTHCHECK (try CMD)'],
    ['FROM x\nHEALTHCHECK --interval=0s CMD true\n', 'Dockerfile:2: HEALTHCHECK: Interval "interval" cannot be less than 1ms'],
    ['FROM x\nHEALTHCHECK --timeout=10us CMD true\n', 'Dockerfile:2: HEALTHCHECK: Interval "timeout" cannot be less than 1ms'],
    ['FROM x\nHEALTHCHECK --start-period=abc CMD true\n', 'Dockerfile:2: HEALTHCHECK: time: invalid duration "abc"'],
    ['FROM x\nHEALTHCHECK --retries=x CMD true\n', 'Dockerfile:2: HEALTHCHECK: strconv.ParseInt: parsing "x": invalid syntax'],
    ['FROM x\nHEALTHCHECK --retries=-2 CMD true\n', 'Dockerfile:2: HEALTHCHECK: --retries must be at least 1 (not -2)'],
    ['RUN true\nFROM x\n', 'Dockerfile:1: RUN: no build stage in current context'],
    ['FROM x\nCOPY --foo=bar a /a\n', 'Dockerfile:2: COPY: Unknown flag: foo'],
    ['FROM x\nADD --from=x a /a\n', 'Dockerfile:2: ADD: Unknown flag: from'],
    ['FROM x\nCOPY --chown a /a\n', 'Dockerfile:2: COPY: Missing a value on flag: chown'],
    ['FROM x\nCOPY --chown=a --chown=b a /a\n', 'Dockerfile:2: COPY: Duplicate flag specified: chown'],
    ['FROM x\nCOPY a\n', 'Dockerfile:2: COPY: COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['FROM x y\n', 'Dockerfile:1: FROM: FROM requires either one or three arguments'],
    ['FROM x AS 1st\n', 'Dockerfile:1: FROM: invalid name for build stage: "1st", name can\'t start with a number or contain symbols'],
    ['# just a comment\n', 'Dockerfile: file with no instructions'],
  ];
  for (const [text, message] of cases) {
    const err = t.throws(() => parse(text));
    t.true(isStrataError(err, 'EBUILD'));
    t.is(err!.message, message);
  }
});
