/**
 * The classic builder's progress lines (`Step 2/3 : ADD hello /`, ` ---> Using cache`,
 * ` ---> Running in <id12>`, ` ---> <id12>`, `Removing intermediate container <id12>`),
 * numbered by classicSteps. Each stage prints its own steps in order (stages built
 * concurrently interleave whole lines); a step's line is printed when the stage
 * reaches it. With `quiet`, nothing is printed (RUN output included).
 */
import { Writable } from 'node:stream';
import type { Dockerfile } from '../instructions.js';
import { classicSteps } from '../step-lines.js';

export interface BuildOutput {
  /** One progress line (no newline). */
  line(text: string): void;
  /** Where RUN commands' output goes. */
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** A BuildOutput that prints nothing. */
export function quietOutput(): BuildOutput {
  const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });
  return { line: () => undefined, stdout: sink(), stderr: sink() };
}

/** Step lines per stage: global ARGs (stage -1), then each stage's FROM and instructions. */
export class StepPrinter {
  readonly #byStage = new Map<number, { line: number; keyword: string; text: string }[]>();
  readonly #labels: string[] = [];

  constructor(df: Dockerfile, target: number, labels: Readonly<Record<string, string>>, readonly out: BuildOutput) {
    const steps = classicSteps(df, target, labels);
    let i = 0;
    const take = (stage: number, count: number): void => {
      const list = this.#byStage.get(stage) ?? [];
      for (let n = 0; n < count; n++, i++) list.push({ line: steps[i]!.instruction.line, keyword: steps[i]!.instruction.keyword, text: steps[i]!.line });
      this.#byStage.set(stage, list);
    };
    take(-1, df.globalArgs.length);
    for (const stage of df.stages.slice(0, target + 1)) take(stage.index, stage.instructions.length + 1);
    for (; i < steps.length; i++) this.#labels.push(steps[i]!.line);
  }

  /** Prints the stage's pending steps up to and including the one at `line`; returns how many. */
  upTo(stage: number, line: number): number {
    const list = this.#byStage.get(stage) ?? [];
    let n = 0;
    while (list.length > 0 && list[0]!.line <= line) {
      this.out.line(list.shift()!.text);
      n++;
    }
    return n;
  }

  /** Prints the next `--label` step of the command line. */
  nextLabel(): void {
    const text = this.#labels.shift();
    if (text !== undefined) this.out.line(text);
  }

  /** Prints what is left of the stage (and, for the target, the `--label` steps). */
  rest(stage: number, withLabels: boolean): void {
    this.upTo(stage, Number.MAX_SAFE_INTEGER);
    if (withLabels) for (const text of this.#labels.splice(0)) this.out.line(text);
  }
}
