export { runPeer, missingProgram } from './run.js';
export { umoci, writeOddTree, buildOddImage } from './umoci.js';
export { skopeo } from './skopeo.js';
export { Dockerd } from './dockerd.js';
