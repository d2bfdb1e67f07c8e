/**
 * Dockerfile text → typed instruction list (instructions.ts), with Docker's parsing rules.
 *
 * `dockerfile-ast` finds the parser directives (`# escape=`), where each instruction starts
 * and ends (continuations, comment lines inside them, heredoc bodies) and its keyword; the
 * logical line, flags, exec-form JSON and the argument shapes are read here, as Docker's
 * parser does (dockerfile-ast's argument helpers drop spaces inside JSON strings):
 * - a line ending with the escape character continues on the next; comment and blank lines
 *   inside a continuation are dropped; the joined lines keep their own white space;
 * - keywords are case-insensitive; an exec form that is not a JSON array of strings is
 *   shell form; ARGs may precede the first FROM (they are the global ARGs).
 *
 * Every failure is a StrataError EBUILD whose one line names the file, the line and the
 * instruction, then Docker 20.10's own text: `Dockerfile:3: FOO: unknown instruction: FOO`.
 */
import { DockerfileParser } from 'dockerfile-ast';
import { ErrorCode, StrataError } from '../errors.js';
import { ALLOWED_FLAGS } from './instructions.js';
import type { CommandForm, Dockerfile, Flags, Heredoc, Instruction, Keyword, Source, Stage } from './instructions.js';
import { parseGoDuration } from './go-format.js';
import { extractFlags, parseJsonArray, parseKeyValues, splitWords } from './parse-args.js';

const KEYWORDS = new Set<string>(['FROM', 'RUN', 'CMD', 'ENTRYPOINT', 'ENV', 'LABEL', 'ARG', 'ADD', 'COPY', 'EXPOSE',
  'VOLUME', 'WORKDIR', 'USER', 'STOPSIGNAL', 'MAINTAINER', 'HEALTHCHECK', 'SHELL', 'ONBUILD']);
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** The EBUILD error for a Dockerfile line: `FILE:LINE: KEYWORD: message`. */
export function buildError(file: string, line: number, keyword: string, message: string, cause?: unknown): StrataError {
  return new StrataError(ErrorCode.EBUILD, `${file}:${line}: ${keyword}: ${message}`, { cause });
}

/** Parses `text`; `file` names the Dockerfile in errors. Fails with EBUILD (see above). */
export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const ast = DockerfileParser.parse(text);
  const escape = ast.getEscapeCharacter();
  const lines = text.split(/\r?\n/);
  const result: Dockerfile = { file, escape, globalArgs: [], stages: [] };
  let stage: Stage | undefined;
  for (const node of ast.getInstructions()) {
    const start = node.getRange().start.line;
    const end = node.getRange().end.line;
    const { original, bodyFrom } = joinLogicalLine(lines, start, end, escape);
    const src: Source = { line: start + 1, endLine: end + 1, original };
    const keyword = node.getKeyword().toUpperCase();
    const rest = original.slice(node.getInstruction().length).replace(/^\s+/u, '');
    const body = lines.slice(bodyFrom, end + 1);
    const inst = parseInstruction(keyword, rest, src, body, { file, escape });
    if (inst.keyword === 'FROM') {
      stage = { index: result.stages.length, name: inst.stageName, from: inst, instructions: [] };
      result.stages.push(stage);
    } else if (stage) {
      stage.instructions.push(inst);
    } else if (inst.keyword === 'ARG') {
      result.globalArgs.push(inst);
    } else {
      throw buildError(file, src.line, keyword, 'no build stage in current context');
    }
  }
  if (ast.getInstructions().length === 0) throw new StrataError(ErrorCode.EBUILD, `${file}: file with no instructions`);
  if (result.stages.length === 0) throw buildError(file, lines.length, 'FROM', 'the Dockerfile has no FROM instruction');
  return result;
}

/** Joins a continuation the way Docker does; returns where heredoc bodies start. */
function joinLogicalLine(lines: string[], start: number, end: number, escape: string): { original: string; bodyFrom: number } {
  const cont = new RegExp(`${escape.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}[ \\t]*$`);
  let text = lines[start] ?? '';
  let i = start;
  while (cont.test(text) && i < end) {
    text = text.replace(cont, '');
    i++;
    while (i <= end && /^\s*(#.*)?$/.test(lines[i] ?? '')) i++;
    if (i > end) break;
    text += lines[i];
  }
  text = text.replace(cont, '');
  return { original: text.trim(), bodyFrom: i + 1 };
}

interface Ctx { file: string; escape: string }

function parseInstruction(keyword: string, rest: string, src: Source, body: string[], ctx: Ctx): Instruction {
  const fail = (message: string): never => { throw buildError(ctx.file, src.line, keyword, message); };
  if (!KEYWORDS.has(keyword)) fail(`unknown instruction: ${keyword}`);
  const kw = keyword as Keyword;
  let flags: Flags = {};
  let args = rest;
  const allowed = ALLOWED_FLAGS[kw];
  if (allowed) {
    const found = extractFlags(rest);
    args = found.rest;
    for (const [name, value] of found.flags) {
      if (!allowed.includes(name)) fail(`Unknown flag: ${name}`);
      // --mount may repeat (Docker keeps the first here: the classic builder refuses it anyway).
      if (name in flags && name !== 'mount') fail(`Duplicate flag specified: ${name}`);
      if (value === undefined) return fail(`Missing a value on flag: ${name}`);
      if (name === 'mount') {
        const bad = value.split(',').find((field) => !field.includes('='));
        if (bad !== undefined) fail(`invalid field '${bad}' must be a key=value pair`);
      }
      flags[name] ??= value;
    }
  }
  const words = (): string[] => splitWords(args, ctx.escape);
  const listOrJson = (): string[] => parseJsonArray(args) ?? args.split(/\s+/u).filter(Boolean);
  const command = (): CommandForm => { const exec = parseJsonArray(args); return exec ? { exec } : { shell: args }; };
  const needArgs = (n: number, what = n === 1 ? 'at least one argument' : `at least ${n} arguments`): void => {
    if (args.trim() === '') fail(`${kw} requires ${what}`);
  };
  switch (kw) {
    case 'FROM': {
      const w = args.split(/\s+/u).filter(Boolean);
      if (w.length !== 1 && !(w.length === 3 && w[1]!.toUpperCase() === 'AS')) fail('FROM requires either one or three arguments');
      const stageName = w[2]?.toLowerCase();
      if (stageName !== undefined && !STAGE_NAME.test(stageName)) fail(`invalid name for build stage: "${w[2]}", name can't start with a number or contain symbols`);
      return { ...src, keyword: kw, image: w[0]!, stageName, flags };
    }
    case 'RUN': {
      const heredocs = readHeredocs(args, body, ctx, src, kw);
      return { ...src, keyword: kw, command: heredocs.length ? { shell: args } : command(), heredocs, flags };
    }
    case 'CMD': case 'ENTRYPOINT':
      return { ...src, keyword: kw, command: command() };
    case 'ENV': case 'LABEL': {
      const pairs = parseKeyValues(args, kw, ctx.escape);
      if (typeof pairs === 'string') fail(pairs);
      return { ...src, keyword: kw, pairs: pairs as Exclude<typeof pairs, string> };
    }
    case 'ARG': {
      needArgs(1);
      return { ...src, keyword: kw, args: words().map((w) => {
        const i = w.indexOf('=');
        if (i === 0) fail('ARG names can not be blank');
        return i < 0 ? { key: w } : { key: w.slice(0, i), value: w.slice(i + 1) };
      }) };
    }
    case 'ADD': case 'COPY': {
      const heredocs = readHeredocs(args, body, ctx, src, kw);
      const list = listOrJson();
      if (list.length < 2) fail(`${kw} requires at least two arguments, but only one was provided. Destination could not be determined`);
      return { ...src, keyword: kw, sources: list.slice(0, -1), dest: list[list.length - 1]!, flags, heredocs };
    }
    case 'EXPOSE':
      needArgs(1);
      // Docker sorts the ports as written, before expansion (it shows in the history).
      return { ...src, keyword: kw, ports: args.split(/\s+/u).filter(Boolean).sort() };
    case 'VOLUME': {
      needArgs(1);
      const paths = listOrJson();
      if (paths.some((p) => p.trim() === '')) fail('VOLUME specified can not be an empty string');
      return { ...src, keyword: kw, paths };
    }
    case 'WORKDIR': case 'USER': case 'STOPSIGNAL': case 'MAINTAINER':
      needArgs(1, 'exactly one argument');
      return { ...src, keyword: kw, value: args };
    case 'HEALTHCHECK': {
      const m = /^(\S+)\s*([\s\S]*)$/u.exec(args);
      if (!m) fail('HEALTHCHECK requires at least one argument');
      const type = m![1]!.toUpperCase();
      if (type === 'NONE') {
        if (m![2] !== '' || Object.keys(flags).length) fail('HEALTHCHECK NONE takes no arguments');
        return { ...src, keyword: kw, none: true };
      }
      if (type !== 'CMD') fail(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
      args = m![2]!;
      if (args.trim() === '') fail('Missing command after HEALTHCHECK CMD');
      for (const flag of ['interval', 'timeout', 'start-period']) {
        const value = flags[flag];
        if (value === undefined || value === '') continue;
        const ns = parseGoDuration(value);
        if (ns === undefined) fail(`time: invalid duration "${value}"`);
        // Docker names every duration flag "Interval" here.
        if (ns! < 1e6) fail(`Interval "${flag}" cannot be less than 1ms`);
      }
      if (flags.retries !== undefined && flags.retries !== '') {
        if (!/^[+-]?\d+$/.test(flags.retries)) fail(`strconv.ParseInt: parsing "${flags.retries}": invalid syntax`);
        if (Number(flags.retries) < 1) fail(`--retries must be at least 1 (not ${Number(flags.retries)})`);
      }
      return { ...src, keyword: kw, none: false, command: command(), flags };
    }
    case 'SHELL': {
      needArgs(1);
      const shell = parseJsonArray(args);
      if (!shell || shell.length === 0) fail('SHELL requires the arguments to be in JSON form');
      return { ...src, keyword: kw, shell: shell! };
    }
    case 'ONBUILD': {
      needArgs(1);
      const m = /^(\S+)\s*([\s\S]*)$/u.exec(args)!;
      const inner = m[1]!.toUpperCase();
      if (inner === 'ONBUILD') fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (inner === 'FROM' || inner === 'MAINTAINER') fail(`${inner} isn't allowed as an ONBUILD trigger`);
      const trigger = parseInstruction(inner, m[2]!, { ...src, original: args }, body, ctx);
      return { ...src, keyword: kw, trigger, expression: args };
    }
  }
  return fail(`unknown instruction: ${keyword}`);
}

/** BuildKit heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`) named on the first line, read from body. */
function readHeredocs(args: string, body: string[], ctx: Ctx, src: Source, keyword: string): Heredoc[] {
  const docs: Heredoc[] = [];
  const marker = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
  let i = 0;
  for (const m of args.matchAll(marker)) {
    const chomp = m[1] === '-';
    const content: string[] = [];
    for (;;) {
      if (i >= body.length) throw buildError(ctx.file, src.line, keyword, `unterminated heredoc ${m[3]}`);
      const line = body[i++]!;
      if ((chomp ? line.replace(/^\t+/, '') : line) === m[3]) break;
      content.push(chomp ? line.replace(/^\t+/, '') : line);
    }
    docs.push({ name: m[3]!, content: content.map((l) => l + '\n').join(''), expand: m[2] === '', chomp });
  }
  return docs;
}
