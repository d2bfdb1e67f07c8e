/**
 * `strata build`'s pure half: everything about a Dockerfile build that needs neither the
 * image store nor the runner. The builder (the lead's executor) drives it like this:
 *
 *     const df = parseDockerfile(text, 'Dockerfile');                 // EBUILD on bad input
 *     const args = new BuildArgs(cliBuildArgs);
 *     const plan = planBuild(df, { target, buildArgs: args });      // stages, needs, levels
 *     for (const level of plan.levels) await Promise.all(level.map((i) =>
 *       dispatchStage({ dockerfile: df, stage: plan.stages[i].stage, baseConfig, buildArgs: args,
 *                       executor, sources, labels: i === plan.target ? cliLabels : undefined })));
 *
 * with `executor` (StepExecutor: RUN, ADD/COPY, WORKDIR against the store and runner,
 * keyed by stepCacheKey) and `sources` (ContextSources for the context, the lead's own
 * provider for `COPY --from`). Docker 20.10's classic builder is the reference:
 * test/build/corpus holds its recordings.
 */
export * from './instructions.js';
export { parseDockerfile, buildError } from './parse-dockerfile.js';
export { expandWord, expandWords, lookupIn } from './shell-lex.js';
export type { Lookup } from './shell-lex.js';
export { expandInstruction, expandFrom } from './expand.js';
export { BuildArgs, StageArgs, PROXY_ARGS } from './build-args.js';
export * from './image-config.js';
export { applyMetadata, parsePortSpec } from './metadata.js';
export type { MetadataInstruction, MetadataResult, StageMeta } from './metadata.js';
export { createdByNop, createdByRun, createdByCopy, cliLabelComments, runArgv } from './created-by.js';
export { stepCacheKey, canonicalJson } from './cache-key.js';
export type { StepKeyInput } from './cache-key.js';
export { planBuild } from './plan.js';
export type { BaseRef, BuildPlan, PlannedStage, PlanOptions } from './plan.js';
export { parseTriggers, withTriggers } from './onbuild.js';
export { dispatchStage, absoluteDest } from './dispatch.js';
export type {
  CopyInstruction, CopyRequest, HistoryEntry, RunInstruction, RunRequest, SourceProvider, StageInput, StageResult,
  StepExecutor, StepOutcome, StepRequest, WorkdirRequest,
} from './dispatch.js';
export { ContextFilter, parseDockerignore } from './context/dockerignore.js';
export { goMatch, hasWildcard } from './context/go-match.js';
export { resolveSources, contextRelative, followInScope, walkContext, isUrl } from './context/resolve-sources.js';
export type { ResolvedSource } from './context/resolve-sources.js';
export { entryHash, dirSourceHash, combineSourceHashes, contextEntry, hashContextSource } from './context/source-hash.js';
export type { EntryType, HashedEntry } from './context/source-hash.js';
export { ContextSources } from './context/context-sources.js';
export { compressionOf, isAddArchive, isTarHeader, openDecompressed } from './context/add-archive.js';
export type { Compression } from './context/add-archive.js';
export { URL_FILE_MODE, mtimeFromLastModified, urlDestination, urlSourceHash } from './context/url-source.js';
export { parsePasswd, parseGroup, resolveChown, resolveRunUser } from './user-spec.js';
export type { PasswdEntry, GroupEntry } from './user-spec.js';
export { fileDestination, copiedMode, CREATED_DIRECTORY_MODE } from './copy-rules.js';
export type { SourceOrigin } from './copy-rules.js';
export { classicSteps } from './step-lines.js';
