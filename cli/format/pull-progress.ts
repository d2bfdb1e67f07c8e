import type { ImageReference } from '../../core/images/reference.js';
import type { PullProgress, PullResult } from '../../core/remotes/index.js';
import { StatusBlock, type ProgressOutput } from './status-block.js';

/**
 * Renders a pull as `docker pull` does:
 *
 *     1: Pulling from app
 *     3f4d90098f5b: Pull complete
 *     ...
 *     Digest: sha256:…
 *     Status: Downloaded newer image for 127.0.0.1:5000/app:1
 *     127.0.0.1:5000/app:1
 *
 * A redrawn block with progress bars on a terminal; plain lines (status
 * changes only) when piped. `quiet` prints only the final name (`pull -q`).
 */
export class PullProgressRenderer {
  readonly #block: StatusBlock;
  readonly #quiet: boolean;

  constructor(out: ProgressOutput, options: { quiet?: boolean } = {}) {
    this.#block = new StatusBlock(out);
    this.#quiet = options.quiet ?? false;
  }

  /** `<tag or digest>: Pulling from <path>`. */
  start(ref: ImageReference): void {
    if (!this.#quiet) this.#block.line(`${ref.digest ?? ref.tag ?? 'latest'}: Pulling from ${ref.path}`);
  }

  /** One engine event (pass as `onProgress`). */
  readonly event = (e: PullProgress): void => {
    if (!this.#quiet) this.#block.update(e.id, e.status, e.status === 'Downloading' ? e.current : undefined, e.total);
  };

  /**
   * `Digest:`, `Status: … for <shown>` and last the image's full name (`name`:
   * as the user gave it, normalised); `shown` defaults to `name` (Docker shows
   * the familiar form there: `busybox:latest`).
   */
  finish(result: PullResult, name: string, shown = name): void {
    if (!this.#quiet) {
      this.#block.line(`Digest: ${result.digest}`);
      this.#block.line(`Status: ${result.downloaded ? 'Downloaded newer image' : 'Image is up to date'} for ${shown}`);
    }
    this.#block.line(name);
  }
}
