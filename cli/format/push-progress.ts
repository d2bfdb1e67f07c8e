import type { PushProgress, PushResult } from '../../core/remotes/index.js';
import { repositoryName, type ImageReference } from '../../core/images/reference.js';
import { StatusBlock, type ProgressOutput } from './status-block.js';

/**
 * Renders a push as `docker push` does:
 *
 *     The push refers to repository [127.0.0.1:5000/app]
 *     3f4d90098f5b: Pushed
 *     5e0d8111135a: Layer already exists
 *     9a1b2c3d4e5f: Mounted from library/base
 *     1: digest: sha256:… size: 1234
 *
 * A redrawn block on a terminal; plain lines when piped.
 */
export class PushProgressRenderer {
  readonly #block: StatusBlock;

  constructor(out: ProgressOutput) {
    this.#block = new StatusBlock(out);
  }

  start(dest: ImageReference): void {
    this.#block.line(`The push refers to repository [${repositoryName(dest)}]`);
  }

  /** One engine event (pass as `onProgress`). */
  readonly event = (e: PushProgress): void => {
    this.#block.update(e.id, e.status, e.status === 'Pushing' ? e.current : undefined, e.total);
  };

  finish(result: PushResult): void {
    this.#block.line(`${result.tag}: digest: ${result.digest} size: ${result.size}`);
  }
}
