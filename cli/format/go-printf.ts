/**
 * Go's `fmt.Sprintf` for the verbs templates use: `%v %s %d %q %t %x %X %f %e
 * %g %%`, with the flags `-` (left-align), `0` (zero-pad) and `+`, a width and
 * a precision. A verb that does not fit its argument prints as Go does,
 * `%!d(string=abc)`; a missing argument `%!d(MISSING)`; extra arguments
 * `%!(EXTRA string=x)`.
 */
import { formatGoValue, goFloat, goTypeName } from './go-value.js';

function quote(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function bad(verb: string, arg: unknown): string {
  return `%!${verb}(${goTypeName(arg)}=${formatGoValue(arg)})`;
}

function isInt(arg: unknown): arg is number {
  return typeof arg === 'number' && Number.isInteger(arg);
}

/** One verb applied to one argument, before width padding. */
function verbText(verb: string, arg: unknown, precision: number | undefined, plus: boolean): string {
  const sign = (n: number, text: string) => (plus && n >= 0 ? `+${text}` : text);
  switch (verb) {
    case 'v':
      return typeof arg === 'number' ? sign(arg, formatGoValue(arg)) : formatGoValue(arg);
    case 's':
      if (typeof arg === 'string') return precision === undefined ? arg : [...arg].slice(0, precision).join('');
      if (typeof arg === 'number' || typeof arg === 'boolean') return bad(verb, arg);
      return formatGoValue(arg);
    case 'q':
      if (typeof arg === 'string') return quote(arg);
      if (Array.isArray(arg)) return `[${arg.map((a) => (typeof a === 'string' ? quote(a) : formatGoValue(a))).join(' ')}]`;
      return isInt(arg) ? `'${String.fromCodePoint(arg)}'` : bad(verb, arg);
    case 'd':
      if (isInt(arg)) return sign(arg, String(arg));
      if (Array.isArray(arg) && arg.every(isInt)) return `[${arg.join(' ')}]`;
      return bad(verb, arg);
    case 't':
      return typeof arg === 'boolean' ? String(arg) : bad(verb, arg);
    case 'x':
    case 'X': {
      let text: string;
      if (isInt(arg)) text = (arg < 0 ? '-' : '') + Math.abs(arg).toString(16);
      else if (typeof arg === 'string') text = Buffer.from(arg, 'utf8').toString('hex');
      else return bad(verb, arg);
      return verb === 'X' ? text.toUpperCase() : text;
    }
    case 'f':
    case 'F':
    case 'e':
    case 'g': {
      if (typeof arg !== 'number') return bad(verb, arg);
      if (verb === 'g') return sign(arg, precision === undefined ? goFloat(arg) : Number(arg.toPrecision(precision)).toString());
      if (verb === 'e') {
        const [m, e] = arg.toExponential(precision ?? 6).split('e') as [string, string];
        return sign(arg, `${m}e${e.startsWith('-') ? '-' : '+'}${e.replace(/^[-+]/, '').padStart(2, '0')}`);
      }
      return sign(arg, arg.toFixed(precision ?? 6));
    }
    default:
      return `%!${verb}(${goTypeName(arg)}=${formatGoValue(arg)})`;
  }
}

/** `fmt.Sprintf(format, ...args)` for the verbs above. */
export function goSprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let next = 0;
  const spec = /%([-+0 #]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])?/y;
  for (let i = 0; i < format.length; ) {
    if (format[i] !== '%') {
      const stop = format.indexOf('%', i);
      out += format.slice(i, stop === -1 ? undefined : stop);
      i = stop === -1 ? format.length : stop;
      continue;
    }
    spec.lastIndex = i;
    const m = spec.exec(format)!;
    i = spec.lastIndex;
    const [, flags = '', widthText, precisionText, verb] = m;
    if (verb === undefined) {
      out += '%!(NOVERB)';
      continue;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (next >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[next++];
    const text = verbText(verb, arg, precisionText === undefined ? undefined : Number(precisionText), flags.includes('+'));
    const width = widthText === undefined ? 0 : Number(widthText);
    const pad = Math.max(0, width - [...text].length);
    if (flags.includes('-')) out += text + ' '.repeat(pad);
    else if (flags.includes('0') && typeof arg === 'number' && verb !== 's' && verb !== 'v') {
      const negative = text.startsWith('-') || text.startsWith('+');
      out += negative ? text[0] + '0'.repeat(pad) + text.slice(1) : '0'.repeat(pad) + text;
    } else out += ' '.repeat(pad) + text;
  }
  if (next < args.length) out += `%!(EXTRA ${args.slice(next).map((a) => `${goTypeName(a)}=${formatGoValue(a)}`).join(', ')})`;
  return out;
}
