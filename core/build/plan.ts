/**
 * The build plan of a parsed Dockerfile: what each stage starts from, which stages the
 * target needs, and an order in which independent stages can be built concurrently.
 *
 * - FROM is expanded with the global ARGs (--build-arg first). A name that matches an
 *   earlier stage's `AS` name (case-insensitive) is that stage; `scratch` is the empty
 *   image; anything else is an image reference for the image store to resolve.
 * - `COPY --from=N` names stage N, which must come before the current one; `--from=name`
 *   an earlier stage, else an image.
 * - `needed` is the target and what it depends on, transitively (BuildKit's rule; Docker's
 *   classic builder also builds the unneeded stages before the target). `levels` groups
 *   the needed stages: every stage of a level depends only on stages of earlier levels.
 *
 * Fails with EBUILD naming the file, the line and the instruction: an unknown --target,
 * a `--from` index that is not an earlier stage, a stage that names itself.
 */
import { BuildArgs } from './build-args.js';
import { expandFrom } from './expand.js';
import type { Dockerfile, Instruction, Stage } from './instructions.js';
import { buildError } from './parse-dockerfile.js';
import { expandWord } from './shell-lex.js';

export type BaseRef = { kind: 'scratch' } | { kind: 'stage'; index: number } | { kind: 'image'; ref: string };

export interface PlannedStage {
  stage: Stage;
  /** What FROM names, after expansion. */
  base: BaseRef;
  /** Each `COPY --from` of the stage, by instruction, resolved. */
  copyFrom: { instruction: Extract<Instruction, { sources: string[] }>; source: BaseRef }[];
  /** Indexes of the stages this stage needs (FROM and COPY --from), sorted. */
  dependsOn: number[];
}

export interface BuildPlan {
  stages: PlannedStage[];
  /** Index of the stage whose image is the result. */
  target: number;
  /** Indexes of the stages to build, ascending. */
  needed: number[];
  /** The needed stages grouped so each group can run concurrently once the earlier ones are done. */
  levels: number[][];
  /** External image references the needed stages use (FROM and COPY --from), deduplicated. */
  images: string[];
}

export interface PlanOptions {
  /** `--target`: a stage name (case-insensitive). Default: the last stage. */
  target?: string;
  /** The build's args; its global ARGs are declared here. Default: no --build-arg. */
  buildArgs?: BuildArgs;
}

export function planBuild(df: Dockerfile, options: PlanOptions = {}): BuildPlan {
  const args = options.buildArgs ?? new BuildArgs();
  for (const inst of df.globalArgs) {
    for (const a of inst.args) {
      const value = a.value === undefined ? undefined : expandWord(a.value, args.globalLookup(), df.escape);
      args.declareGlobal(a.key, value);
    }
  }
  const resolve = (name: string, before: number, line: number, keyword: string): BaseRef => {
    const lower = name.toLowerCase();
    if (lower === 'scratch') return { kind: 'scratch' };
    const own = df.stages[before];
    if (own?.name !== undefined && own.name === lower && keyword === 'COPY') {
      throw buildError(df.file, line, keyword, `a stage cannot copy from itself: ${name}`);
    }
    for (let i = before - 1; i >= 0; i--) if (df.stages[i]!.name === lower) return { kind: 'stage', index: i };
    return { kind: 'image', ref: name };
  };
  const stages: PlannedStage[] = df.stages.map((stage) => {
    const image = expandFrom(stage.from, args.globalLookup(), df.escape, df.file);
    if (image === '') throw buildError(df.file, stage.from.line, 'FROM', 'base name (' + stage.from.image + ') should not be blank');
    const base = resolve(image, stage.index, stage.from.line, 'FROM');
    const copyFrom: PlannedStage['copyFrom'] = [];
    for (const inst of stage.instructions) {
      if (inst.keyword !== 'COPY' || inst.flags.from === undefined) continue;
      const from = inst.flags.from;
      if (/^\d+$/.test(from)) {
        const index = Number(from);
        if (index >= stage.index) throw buildError(df.file, inst.line, 'COPY', `invalid from flag value ${from}: stage ${index} is not an earlier build stage`);
        copyFrom.push({ instruction: inst, source: { kind: 'stage', index } });
      } else {
        if (from === '') throw buildError(df.file, inst.line, 'COPY', 'the --from flag needs a stage name, index or image');
        copyFrom.push({ instruction: inst, source: resolve(from, stage.index, inst.line, 'COPY') });
      }
    }
    const deps = new Set<number>();
    for (const ref of [base, ...copyFrom.map((c) => c.source)]) if (ref.kind === 'stage') deps.add(ref.index);
    return { stage, base, copyFrom, dependsOn: [...deps].sort((a, b) => a - b) };
  });
  let target = stages.length - 1;
  if (options.target !== undefined) {
    target = df.stages.findIndex((s) => s.name === options.target!.toLowerCase());
    if (target < 0) throw buildError(df.file, df.stages[df.stages.length - 1]!.from.line, 'FROM', `failed to reach build target ${options.target} in Dockerfile`);
  }
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of stages[i]!.dependsOn) visit(d);
  };
  visit(target);
  const level = new Map<number, number>();
  for (const i of [...needed].sort((a, b) => a - b)) {
    level.set(i, Math.max(-1, ...stages[i]!.dependsOn.map((d) => level.get(d)!)) + 1);
  }
  const levels: number[][] = [];
  for (const [i, l] of level) (levels[l] ??= []).push(i);
  const images = new Set<string>();
  for (const i of needed) for (const ref of [stages[i]!.base, ...stages[i]!.copyFrom.map((c) => c.source)]) if (ref.kind === 'image') images.add(ref.ref);
  return { stages, target, needed: [...needed].sort((a, b) => a - b), levels, images: [...images] };
}
