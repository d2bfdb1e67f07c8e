/** `text` as one POSIX shell word (single-quoted), safe for any bytes but NUL. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Each word quoted, joined by spaces. */
export function shWords(words: readonly string[]): string {
  return words.map(shQuote).join(' ');
}
