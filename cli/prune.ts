import type { RemovalEvent, Store } from '../core/engine.js';
import { imagesSpace } from '../core/image-ops/disk-usage.js';
import { humanSize } from './format/index.js';
import { prompt } from './prompt.js';

/**
 * The prune commands as Docker's: each asks first (unless `-f`), removes what
 * nothing uses, and prints sections of what went (`Deleted Containers:`,
 * `Deleted Images:`, `Deleted build cache objects:`) and `Total reclaimed
 * space:`.
 */

/** Docker's warnings, printed before `Are you sure you want to continue? [y/N] `. */
export const PRUNE_WARNINGS = {
  containers: 'WARNING! This will remove all stopped containers.',
  danglingImages: 'WARNING! This will remove all dangling images.',
  unusedImages: 'WARNING! This will remove all images without at least one container associated to them.',
  buildCache: 'WARNING! This will remove all dangling build cache.',
  system: (all: boolean) => [
    'WARNING! This will remove:',
    '  - all stopped containers',
    all ? '  - all images without at least one container associated to them' : '  - all dangling images',
    all ? '  - all build cache' : '  - all dangling build cache',
    '',
  ].join('\n'),
};

/**
 * True with `force`; otherwise prints `warning` and Docker's question and
 * answers whether the line read from stdin (a terminal or a pipe) is y or yes.
 * An empty answer or stdin at its end is no.
 */
export async function confirmPrune(force: boolean, warning: string): Promise<boolean> {
  if (force) return true;
  const answer = await prompt(`${warning}\nAre you sure you want to continue? [y/N] `).catch(() => '');
  return /^(y|yes)$/i.test(answer.trim());
}

/** Removes every container that is not running; their ids. */
export async function pruneContainers(store: Store): Promise<string[]> {
  const removed: string[] = [];
  for (const c of store.containers.list()) {
    if (store.containers.isRunning(c)) continue;
    await store.containers.remove(c.id);
    removed.push(c.id);
  }
  return removed;
}

/**
 * Dangling images (every unused one with `all`) that no container uses, as
 * Docker's; then their parents that become so. The events and the bytes freed.
 */
export async function pruneImages(store: Store, all: boolean): Promise<{ events: RemovalEvent[]; reclaimed: number }> {
  return store.root.lock.run('prune', async () => {
    const before = imagesSpace(store).size;
    const events: RemovalEvent[] = [];
    for (;;) {
      const images = store.images.list();
      const candidates = all ? images.filter((i) => images.every((o) => o.parent !== i.id)) : store.images.dangling();
      const victims = candidates.filter((i) => store.containers.containersOf(i.id) === 0);
      if (victims.length === 0) break;
      for (const victim of victims) events.push(...(await store.images.removeLocked(victim.id, { force: true, noPrune: true })));
    }
    return { events, reclaimed: before - imagesSpace(store).size };
  });
}

/** What a prune removed, by kind; each part may be absent. */
export interface PruneReport {
  readonly containers?: readonly string[];
  readonly events?: readonly RemovalEvent[];
  readonly buildCache?: readonly string[];
  readonly reclaimed: number;
}

/** Docker's lines: a section per kind that removed something, then the total in go-units HumanSize (`1.234kB`). */
export function pruneReport(report: PruneReport): string {
  const section = (title: string, lines: readonly string[] | undefined) => (lines === undefined || lines.length === 0 ? [] : [title, ...lines, '']);
  return [
    ...section('Deleted Containers:', report.containers),
    ...section('Deleted Images:', report.events?.map((e) => `${e.kind.toLowerCase()}: ${e.what}`)),
    ...section('Deleted build cache objects:', report.buildCache),
    `Total reclaimed space: ${humanSize(report.reclaimed)}`,
  ].join('\n') + '\n';
}
