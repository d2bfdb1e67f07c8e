/**
 * Go's `%.*g` for a non-negative finite float64, digit for digit: the exact
 * binary value rounded to `precision` significant digits, ties to even (as
 * strconv does; JavaScript's toPrecision rounds ties up), trailing zeros
 * removed, exponent form (`1e+03`, at least two exponent digits) when the
 * decimal exponent is below -4 or at least `precision`.
 */
export function formatGoG(value: number, precision: number): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`formatGoG: ${value} is not a finite non-negative number`);
  if (!Number.isInteger(precision) || precision < 1 || precision > 17) throw new RangeError(`formatGoG: bad precision ${precision}`);
  if (value === 0) return '0';

  // The exact decimal expansion: a double in this range has far fewer than 100 significant digits.
  const [mantissa, expText] = value.toExponential(99).split('e') as [string, string];
  const all = mantissa.replace('.', '');
  let exponent = Number(expText);

  const kept = all.slice(0, precision).split('').map(Number);
  const rest = all.slice(precision);
  const first = rest.charCodeAt(0) - 48;
  const tail = rest.slice(1);
  const roundUp = first > 5 || (first === 5 && (/[1-9]/.test(tail) || kept[kept.length - 1]! % 2 === 1));
  if (roundUp) {
    let i = kept.length - 1;
    while (i >= 0 && kept[i] === 9) kept[i--] = 0;
    if (i >= 0) kept[i]! += 1;
    else {
      kept.unshift(1);
      kept.pop();
      exponent += 1;
    }
  }

  const digits = kept.join('').replace(/0+$/, '') || '0';
  if (exponent < -4 || exponent >= precision) {
    const frac = digits.slice(1);
    const sign = exponent < 0 ? '-' : '+';
    return `${digits[0]}${frac ? `.${frac}` : ''}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`;
  const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fracPart = digits.slice(exponent + 1);
  return fracPart ? `${intPart}.${fracPart}` : intPart;
}
