/**
 * The typed instruction list a Dockerfile parses into (see parse-dockerfile.ts). Values are
 * as written: variables are not expanded yet (see expand.ts); quotes in ENV/LABEL/ARG
 * values are still there (the expansion removes them, as Docker does).
 */

/** Where an instruction came from: 1-based first and last line, and its text joined. */
export interface Source {
  /** 1-based line of the keyword. */
  line: number;
  /** 1-based last line (continuations and heredoc bodies included). */
  endLine: number;
  /** The logical line: continuations joined, comment lines in them dropped, keyword included. */
  original: string;
}

/** A command as written: exec form (a JSON array of strings) or shell form (the text). */
export type CommandForm = { exec: string[] } | { shell: string };

/** A heredoc body (BuildKit syntax; Docker's classic builder has none). */
export interface Heredoc { name: string; content: string; expand: boolean; chomp: boolean }

/** `--name=value` flags in the order written; a flag written without `=` has value ''. */
export type Flags = Record<string, string>;

export interface KeyValue { key: string; value: string }
export interface ArgDecl { key: string; value?: string }

export type Instruction = Source & (
  | { keyword: 'FROM'; image: string; stageName?: string; flags: Flags }
  | { keyword: 'RUN'; command: CommandForm; heredocs: Heredoc[]; flags: Flags }
  | { keyword: 'CMD' | 'ENTRYPOINT'; command: CommandForm }
  | { keyword: 'ENV' | 'LABEL'; pairs: KeyValue[] }
  | { keyword: 'ARG'; args: ArgDecl[] }
  | { keyword: 'ADD' | 'COPY'; sources: string[]; dest: string; flags: Flags; heredocs: Heredoc[] }
  | { keyword: 'EXPOSE'; ports: string[] }
  | { keyword: 'VOLUME'; paths: string[] }
  | { keyword: 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'MAINTAINER'; value: string }
  | { keyword: 'HEALTHCHECK'; none: true }
  | { keyword: 'HEALTHCHECK'; none: false; command: CommandForm; flags: Flags }
  | { keyword: 'SHELL'; shell: string[] }
  | { keyword: 'ONBUILD'; trigger: Instruction; expression: string }
);

export type Keyword = Instruction['keyword'];

/** A build stage: its FROM and the instructions after it, up to the next FROM. */
export interface Stage {
  /** 0-based position among the stages (`COPY --from=0`). */
  index: number;
  /** The `AS` name, lower-cased as Docker does, if any. */
  name?: string;
  from: Extract<Instruction, { keyword: 'FROM' }>;
  instructions: Instruction[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  /** The name used in errors (the `-f` path as given, or `Dockerfile`). */
  file: string;
  /** The escape character (`\` or the one `# escape=` chose). */
  escape: string;
  /** ARGs before the first FROM: usable in FROM lines only, unless re-declared in a stage. */
  globalArgs: Extract<Instruction, { keyword: 'ARG' }>[];
  stages: Stage[];
}

/** Flags each instruction accepts (Docker 20.10 with the BuildKit-era parser); others fail. */
export const ALLOWED_FLAGS: Partial<Record<Keyword, readonly string[]>> = {
  FROM: ['platform'],
  ADD: ['chown', 'chmod'],
  COPY: ['from', 'chown', 'chmod'],
  // Parsed (its fields must be key=value pairs) and then refused when the RUN is reached, as Docker 20.10's classic builder does.
  RUN: ['mount'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'retries'],
};
