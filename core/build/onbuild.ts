/**
 * ONBUILD triggers of a base image. Docker runs them right after the FROM that uses the
 * image, in the order stored, before the stage's own instructions; the new image does
 * not inherit them (image-config.ts `stageStartConfig` clears OnBuild). Each trigger is
 * parsed as the instruction it is; ONBUILD, FROM and MAINTAINER are refused.
 */
import type { Instruction, Stage } from './instructions.js';
import { buildError, parseDockerfile } from './parse-dockerfile.js';

/** The triggers as instructions, with `from`'s line (errors name it). Fails with EBUILD. */
export function parseTriggers(triggers: readonly string[] | null | undefined, stage: Stage, file = 'Dockerfile'): Instruction[] {
  const line = stage.from.line;
  return (triggers ?? []).map((text) => {
    const word = /^\s*(\S+)/.exec(text)?.[1]?.toUpperCase() ?? '';
    if (word === 'ONBUILD' || word === 'FROM' || word === 'MAINTAINER') {
      throw buildError(file, line, 'ONBUILD', `${word} isn't allowed as an ONBUILD trigger`);
    }
    let parsed: Instruction;
    try {
      parsed = parseDockerfile(`FROM scratch\n${text}`, file).stages[0]!.instructions[0]!;
    } catch (err) {
      throw buildError(file, line, 'ONBUILD', `invalid trigger "${text}": ${(err as Error).message.replace(/^.*?: \w+: /, '')}`, err);
    }
    return { ...parsed, line, endLine: line };
  });
}

/** The stage's instructions with the base image's triggers first. */
export function withTriggers(stage: Stage, triggers: readonly string[] | null | undefined, file = 'Dockerfile'): Instruction[] {
  return [...parseTriggers(triggers, stage, file), ...stage.instructions];
}
