import test from 'ava';
import { ErrorCode, isStrataError } from '../../core/errors.js';
import { applyChanges, exposedPorts, parseChanges } from '../../core/images/change-instructions.js';
import { parseGoDuration } from '../../core/go-duration.js';
import { processWord, splitWords } from '../../core/images/shell-words.js';

function refused(t: import('ava').ExecutionContext, changes: string[], message: string): void {
  const err = t.throws(() => applyChanges({}, changes), undefined, changes.join(' | '));
  t.true(isStrataError(err, ErrorCode.EINVALID), changes.join(' | '));
  t.is(err!.message, message);
}

test('the results Docker 20.10 gave for each instruction', (t) => {
  const c = (changes: string[]) => applyChanges({}, changes);
  t.deepEqual(c(['CMD ["/hello"]']).Cmd, ['/hello']);
  t.deepEqual(c(['cmd ["/hello"]']).Cmd, ['/hello'], 'names in any case');
  t.deepEqual(c(['CMD /hello --flag "q"']).Cmd, ['/bin/sh', '-c', '/hello --flag "q"']);
  t.deepEqual(c(['CMD ["bad json']).Cmd, ['/bin/sh', '-c', '["bad json']);
  t.deepEqual(c(['CMD']).Cmd, ['/bin/sh', '-c']);
  t.deepEqual(c(['CMD ["a"] extra']).Cmd, ['a']);
  t.deepEqual(c(['CMD echo \\\n two']).Cmd, ['/bin/sh', '-c', 'echo  two']);
  t.deepEqual(c(['CMD ["a"]\nENV A=1']).Env, ['A=1'], 'one -c may hold several lines');
  t.deepEqual(c(['# comment', 'CMD ["a"]']).Cmd, ['a']);
  t.deepEqual(c(['ENV A=1', 'ENV A=2 B=$A']).Env, ['A=2', 'B=1']);
  t.deepEqual(c(['ENV A=$HOME/x', 'ENV P=/p', 'ENV Q=$P/q', 'WORKDIR $P/w']), { Env: ['A=/x', 'P=/p', 'Q=/p/q'], WorkingDir: '/p/w' });
  t.deepEqual(c(['ENV A 1 2', 'ENV B="x y" C=z\\ w']).Env, ['A=1 2', 'B=x y', 'C=z w']);
  t.deepEqual(c(['WORKDIR rel']).WorkingDir, '/rel');
  t.deepEqual(c(['WORKDIR /abs', 'WORKDIR sub']).WorkingDir, '/abs/sub');
  t.deepEqual(c(['ONBUILD RUN x']).OnBuild, ['RUN x']);
  t.deepEqual(c(['HEALTHCHECK CMD true']).Healthcheck, { Test: ['CMD-SHELL', 'true'] });
  t.deepEqual(Object.keys(c(['EXPOSE 80 80/tcp', 'EXPOSE 1-3']).ExposedPorts!).sort(), ['1/tcp', '2/tcp', '3/tcp', '80/tcp']);
  t.deepEqual(Object.keys(c(['EXPOSE 80/TCP', 'EXPOSE 127.0.0.1:90:91']).ExposedPorts!).sort(), ['80/tcp', '91/tcp']);
  t.deepEqual(c(['VOLUME /a', 'VOLUME /b']).Volumes, { '/a': {}, '/b': {} });
  t.deepEqual(c(['LABEL a=1', 'LABEL a=2 b=$a']).Labels, { a: '2', b: '' }, 'labels expand from Env, not from labels');
  t.deepEqual(c(['USER a b']).User, 'a b');
  const both = c(['ENTRYPOINT ["e"]', 'CMD ["a"]']);
  t.deepEqual([both.Cmd, both.Entrypoint], [['a'], ['e']]);
  const reversed = c(['CMD ["a"]', 'ENTRYPOINT ["e"]']);
  t.deepEqual([reversed.Cmd, reversed.Entrypoint], [['a'], ['e']]);
});

test('ENTRYPOINT clears an inherited Cmd; Shell wraps the shell form; the input is untouched', (t) => {
  const base = { Cmd: ['old'], Env: ['A=1'], Shell: ['/bin/bash', '-c'] };
  const out = applyChanges(base, ['ENTRYPOINT run $A', 'ENV B=2']);
  t.is(out.Cmd, null);
  t.deepEqual(out.Entrypoint, ['/bin/bash', '-c', 'run $A']);
  t.deepEqual(base, { Cmd: ['old'], Env: ['A=1'], Shell: ['/bin/bash', '-c'] });
  t.deepEqual(out.Env, ['A=1', 'B=2']);
  t.is(applyChanges({}, ['ENTRYPOINT']).Entrypoint, null);
  t.deepEqual(applyChanges({}, ['ENTRYPOINT []']).Entrypoint, []);
});

test("Docker's messages for refused changes", (t) => {
  for (const word of ['RUN echo hi', 'FROM busybox', 'ADD a b', 'BOGUS x', 'STOPSIGNAL SIGTERM', 'SHELL ["/bin/bash","-c"]', 'MAINTAINER me', 'ARG a']) {
    refused(t, [word], `${word.split(' ')[0]!.toLowerCase()} is not a valid change command`);
  }
  refused(t, [''], 'file with no instructions');
  refused(t, ['ENV'], 'ENV requires at least one argument');
  refused(t, ['ENV A'], 'ENV must have two arguments');
  refused(t, ['ENV =x'], 'ENV names can not be blank');
  refused(t, ['ENV A=1 B'], 'Syntax error - can\'t find = in "B". Must be of the form: name=value');
  refused(t, ['EXPOSE'], 'EXPOSE requires at least one argument');
  refused(t, ['EXPOSE abc'], 'Invalid containerPort: abc');
  refused(t, ['EXPOSE 80/xyz'], 'Invalid proto: xyz');
  refused(t, ['EXPOSE 70000'], 'Invalid containerPort: 70000');
  refused(t, ['LABEL'], 'LABEL requires at least one argument');
  refused(t, ['LABEL a'], 'LABEL must have two arguments');
  refused(t, ['USER'], 'USER requires exactly one argument');
  refused(t, ['WORKDIR'], 'WORKDIR requires exactly one argument');
  refused(t, ['VOLUME'], 'VOLUME requires at least one argument');
  refused(t, ['VOLUME []'], 'VOLUME requires at least one argument');
  refused(t, ['CMD ["a", 1]'], 'when using JSON array syntax, arrays must be comprised of strings only');
  refused(t, ['ENV A="unterminated'], 'failed to process "\\"unterminated": unexpected end of statement while looking for matching double-quote');
  refused(t, ['ONBUILD ONBUILD RUN x'], "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  refused(t, ['HEALTHCHECK FOO x'], 'Unknown type "FOO" in HEALTHCHECK (try CMD)');
});

test('HEALTHCHECK options and NONE', (t) => {
  t.deepEqual(applyChanges({}, ['HEALTHCHECK --interval=30s --timeout=1m30s --retries=3 CMD ["curl","-f","x"]']).Healthcheck, {
    Test: ['CMD', 'curl', '-f', 'x'],
    Interval: 30e9,
    Timeout: 90e9,
    Retries: 3,
  });
  t.deepEqual(applyChanges({}, ['HEALTHCHECK NONE']).Healthcheck, { Test: ['NONE'] });
  t.is(parseGoDuration('1.5h'), 5400e9);
  t.is(parseGoDuration('300ms'), 300e6);
  t.throws(() => parseGoDuration('5'), { message: 'time: invalid duration "5"' });
  t.throws(() => applyChanges({}, ['HEALTHCHECK --interval=1us CMD x']), { message: /cannot be less than 1ms/ });
});

test('words and ports', (t) => {
  t.deepEqual(splitWords(`a "b c" d\\ e 'f g'`), ['a', '"b c"', 'd\\ e', "'f g'"]);
  t.is(processWord(`"$A-\${B:-def}"'$A'\\$A`, ['A=1']), '1-def$A$A');
  t.is(processWord('${A:+set}${B:+set}', ['A=1']), 'set');
  t.deepEqual(exposedPorts('8000-8002/udp'), ['8000/udp', '8001/udp', '8002/udp']);
  t.deepEqual(parseChanges(['cmd x', 'Env A=1']).map((c) => c.name), ['CMD', 'ENV']);
});
