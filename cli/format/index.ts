/** Docker's output formats: sizes, ages, tables and ids as the docker CLI prints them. */
export { formatGoG } from './go-float.js';
export { bytesSize, humanSize, humanSizeWithPrecision, imageSize, reclaimableCell } from './human-size.js';
export { createdAgo, humanDuration, rfc3339Seconds } from './human-duration.js';
export { formatDockerTable } from './table.js';
export type { DockerTableOptions } from './table.js';
export { ellipsis, imageIdCell, truncateId } from './ids.js';
export { commandCell, containerStateOf, containerStatus } from './container-cells.js';
export type { ContainerState, ContainerTimes } from './container-cells.js';
export { PullProgressRenderer } from './pull-progress.js';
export { PushProgressRenderer } from './push-progress.js';
