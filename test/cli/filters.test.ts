import test from 'ava';
import { anyValue, labelsMatch, parseFilters, pathMatch } from '../../cli/filters.js';

const PATH_MATCH_CASES: [pattern: string, text: string, matches: boolean][] = [
  ['bb*', 'bb', true], ['*/app', 'other/app', true], ['*', 'other/app', false], ['b?', 'bb', true], ['?', '/', false],
  ['web:[0-9]', 'web:3', true], ['web:[^0-9]', 'web:3', false], ['web:[!a-z]', 'web:3', true],
  ['a\\*b', 'a*b', true], ['a\\*b', 'axb', false], ['registry.local:5000/x', 'registry.local:5000/x', true], ['registry.local', 'registryXlocal', false],
];

test("pathMatch is Go's path.Match: * and ? stop at /, classes, negated classes, escapes, literal dots", (t) => {
  for (const [pattern, text, matches] of PATH_MATCH_CASES) t.is(pathMatch(pattern, text), matches, `${pattern} ~ ${text}`);
  t.throws(() => pathMatch('[a', 'a'), { message: /syntax error in pattern/ });
});

test('parseFilters: values of one key collect, keys are checked, KEY=VALUE is required', (t) => {
  const filters = parseFilters(['status=exited', 'STATUS=created', 'label=a=b'], ['status', 'label']);
  t.deepEqual(filters.get('status'), ['exited', 'created']);
  t.deepEqual(filters.get('label'), ['a=b']);
  t.true(anyValue(filters, 'status', (v) => v === 'created'));
  t.true(anyValue(filters, 'name', () => false), 'a key not filtered on holds');
  t.throws(() => parseFilters(['colour=red'], ['status']), { message: "invalid filter 'colour'" });
  t.throws(() => parseFilters(['status'], ['status']), { message: 'bad format of filter (expected name=value): status' });
});

test('labelsMatch: KEY is presence, KEY=VALUE equality; every label filter must hold', (t) => {
  const f = parseFilters(['label=a', 'label=b=2'], ['label']);
  t.true(labelsMatch(f, { a: '', b: '2' }));
  t.false(labelsMatch(f, { a: 'x', b: '3' }));
  t.false(labelsMatch(f, null));
  t.true(labelsMatch(parseFilters([], ['label']), null));
});
