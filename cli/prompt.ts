/**
 * Questions asked on the terminal, as `docker login` asks them: the question on
 * stdout, the answer read from stdin (a terminal), a secret without echo.
 */
import { ErrorCode, StrataError } from '../core/engine.js';

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = ['\u007f', '\b'];

/** Is stdin a terminal a person can answer on? */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true;
}

/**
 * Prints `question` and resolves with the line typed, without its end. With
 * `secret` the terminal does not echo (raw mode: backspace edits, Ctrl-C
 * cancels), and a newline is printed after it. Fails with EUSAGE when the
 * terminal closes or Ctrl-C cancels. stdin must be a terminal (see canPrompt).
 */
export function prompt(question: string, options: { readonly secret?: boolean } = {}): Promise<string> {
  const input = process.stdin;
  const secret = options.secret === true;
  // Echo goes off before the question shows: an answer typed the moment it
  // appears must not reach the screen.
  if (secret) input.setRawMode(true);
  process.stdout.write(question);
  input.setEncoding('utf8');
  input.resume();
  return new Promise<string>((resolve, reject) => {
    let answer = '';
    const finish = (err?: Error) => {
      input.off('data', onData);
      input.off('end', onEnd);
      if (secret) {
        input.setRawMode(false);
        process.stdout.write('\n');
      }
      input.pause();
      if (err) reject(err);
      else resolve(answer);
    };
    const onEnd = () => finish(new StrataError(ErrorCode.EUSAGE, 'no answer: the terminal closed'));
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (secret && ch === CTRL_C) return finish(new StrataError(ErrorCode.EUSAGE, 'interrupted'));
        if (secret && ch === CTRL_D && answer === '') return onEnd();
        if (secret && BACKSPACE.includes(ch)) answer = [...answer].slice(0, -1).join('');
        else answer += ch;
      }
    };
    input.on('data', onData);
    input.once('end', onEnd);
  });
}
