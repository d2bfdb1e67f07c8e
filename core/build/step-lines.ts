/**
 * The `Step N/M : INSTRUCTION` lines Docker's classic builder prints: one per instruction
 * of every stage up to the target, after the global ARGs (each a step too) (the classic builder also runs the stages the target does
 * not need), FROM lines included, ONBUILD triggers not counted; the instruction is shown as
 * written (continuations joined, nothing expanded). `--label`s add one `LABEL k=v` step
 * each at the end, sorted by key (their instruction has line 0).
 */
import type { Dockerfile, Instruction } from './instructions.js';

/** Each step's instruction with its printed line, in order. */
export function classicSteps(df: Dockerfile, target = df.stages.length - 1, labels: Readonly<Record<string, string>> = {}): { instruction: Instruction; line: string }[] {
  const cliLabels: Instruction[] = Object.keys(labels).sort().map((key) => ({
    keyword: 'LABEL', pairs: [{ key, value: labels[key]! }], line: 0, endLine: 0, original: `LABEL ${key}=${labels[key]!}`,
  }));
  const instructions: Instruction[] = [...df.globalArgs, ...df.stages.slice(0, target + 1).flatMap((s) => [s.from as Instruction, ...s.instructions]), ...cliLabels];
  return instructions.map((instruction, i) => ({ instruction, line: `Step ${i + 1}/${instructions.length} : ${instruction.original}` }));
}
