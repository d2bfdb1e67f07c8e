/**
 * The process side of containers: run one process in a mounted root file
 * system, through the built-in namespaces runner or runc, and report how it
 * ended. Independent of the store: the caller mounts the root file system and
 * owns the container directory.
 */
export type { BindMount, ContainerRunner, EtcFiles, ExitInfo, ResolvedUser, RunIo, RunningContainer, RunSpec } from './run-spec.js';
export { NamespaceRunner } from './namespace-runner.js';
export { RuncRunner, RUNC } from './runc-runner.js';
export { resolveUser } from './user.js';
export { containerEnv, DEFAULT_PATH } from './environment.js';
export { resolveInRoot } from './root-path.js';
export type { RootPath } from './root-path.js';
export { freezeContainer, thawContainer, isFrozen } from './freezer.js';
export { reapContainer, readRunRecord, withContainerFrozen } from './reap.js';
export type { RunRecord } from './reap.js';
export { ociConfig } from './oci-config.js';
export { validateRunSpec } from './validate-spec.js';
export { writeInitLayer } from './init-layer.js';
