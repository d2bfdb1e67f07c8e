import test from 'ava';
import { isStrataError } from '../../core/errors.js';
import { expandWord, expandWords, lookupIn } from '../../core/build/shell-lex.js';

const env = lookupIn(['A=new', 'EMPTY=', 'SP=a  b', 'PATH=/bin']);
const x = (w: string, escape = '\\'): string => expandWord(w, env, escape);

test('$V and ${V} expand; unset is empty; a lone $ stays', (t) => {
  t.is(x('$A'), 'new');
  t.is(x('${A}x'), 'newx');
  t.is(x('x$UNSET-y'), 'x-y');
  t.is(x('cost $ 5'), 'cost $ 5');
  t.is(x('$'), '$');
  t.is(x('a$1b'), 'ab');
});

test('${V:-w} and ${V:+w} follow Docker (empty counts as unset for :-)', (t) => {
  t.is(x('${UNSET:-dflt}'), 'dflt');
  t.is(x('${EMPTY:-dflt}'), 'dflt');
  t.is(x('${A:-dflt}'), 'new');
  t.is(x('${A:+alt}'), 'alt');
  t.is(x('${UNSET:+alt}'), '');
  t.is(x('${EMPTY:+alt}'), '');
  t.is(x('${UNSET:-$A/x}'), 'new/x');
  t.is(x('${UNSET:-"a b"}'), 'a b');
});

test('${V-w} without a colon is an error, as in the classic builder', (t) => {
  const err = t.throws(() => x('${X-y}'));
  t.true(isStrataError(err, 'EBUILD'));
  t.is(err!.message, 'failed to process "${X-y}": missing \':\' in substitution');
  t.throws(() => x('${X:?y}'), { message: /unsupported modifier \(\?\) in substitution/ });
  t.throws(() => x('${X:-y'), { message: /missing '}'/ });
});

test('quotes and escapes: single quotes literal, double quotes expand, escapes', (t) => {
  t.is(x("'$A'"), '$A');
  t.is(x('"${A}x"'), 'newx');
  t.is(x('\\$A'), '$A');
  t.is(x('"\\$A \\" \\n"'), '$A " \\n');
  t.is(x('a\\ b'), 'a b');
  t.is(x('trailing\\'), 'trailing');
  t.throws(() => x('"open'), { message: /matching double-quote/ });
  t.throws(() => x("'open"), { message: /matching single-quote/ });
});

test('the escape directive changes the escape character', (t) => {
  t.is(x('C:\\dir', '`'), 'C:\\dir');
  t.is(x('`$A', '`'), '$A');
});

test('expandWords splits on unquoted white space, also inside values', (t) => {
  t.deepEqual(expandWords('$SP "c  d" e\\ f', env), ['a', 'b', 'c  d', 'e f']);
  t.deepEqual(expandWords('  ', env), []);
});
