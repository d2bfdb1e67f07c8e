import { ErrorCode, StrataError } from '../core/engine.js';
import type { ContainerRecord, ImageRecord, Store } from '../core/engine.js';
import { anyValue, labelsMatch, singleValue, type Filters } from './filters.js';
import { imageLabels } from './image-labels.js';

/** The keys `ps --filter` takes (Docker's, those strata's containers have). */
export const CONTAINER_FILTERS = ['id', 'name', 'status', 'exited', 'ancestor', 'before', 'since', 'label'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export interface ContainerSelection {
  readonly all: boolean;
  readonly filters: Filters;
  /** `-n N` (`-l` is 1): the N newest, in any state; undefined or negative for no limit. */
  readonly last?: number;
}

/**
 * The containers `ps` shows, newest first, as Docker selects them: running
 * ones, or all with `-a`, a status filter or `-n`/`-l`; then the filters —
 * id=PREFIX, name=REGEXP (against `/name`), status=STATE, exited=CODE,
 * ancestor=IMAGE (that image or one built or committed on it), before/since=CONTAINER,
 * label=K[=V] (the image's labels) — then the last N. Fails with EUSAGE
 * for a bad value, ENOCONTAINER/ENOIMAGE for a reference that names nothing.
 */
export async function selectContainers(store: Store, { all, filters, last }: ContainerSelection): Promise<ContainerRecord[]> {
  for (const status of filters.get('status') ?? []) {
    if (!STATUSES.includes(status)) throw new StrataError(ErrorCode.EUSAGE, `invalid filter 'status=${status}'`);
  }
  for (const code of filters.get('exited') ?? []) {
    if (!/^-?\d+$/.test(code)) throw new StrataError(ErrorCode.EUSAGE, `invalid filter 'exited=${code}'`);
  }
  const names = (filters.get('name') ?? []).map((pattern) => {
    try {
      return new RegExp(pattern);
    } catch {
      throw new StrataError(ErrorCode.EUSAGE, `invalid filter 'name=${pattern}': not a regular expression`);
    }
  });
  const ancestors = (filters.get('ancestor') ?? []).map((ref) => store.images.get(ref).id);
  const images = new Map(store.images.list().map((i) => [i.id, i]));
  const listed = store.containers.list();
  const positionOf = (ref: string | undefined) => (ref === undefined ? undefined : listed.findIndex((c) => c.id === store.containers.get(ref).id));
  // Newest first: `before` shows those after it in the list, `since` those ahead of it.
  const before = positionOf(singleValue(filters, 'before'));
  const since = positionOf(singleValue(filters, 'since'));
  const everyState = all || filters.has('status') || filters.has('exited') || (last !== undefined && last >= 0);
  const labelsOf = new Map<string, Readonly<Record<string, string>> | null>();
  const selected: ContainerRecord[] = [];
  for (const [i, c] of listed.entries()) {
    const running = store.containers.isRunning(c);
    const state = running ? 'running' : c.state === 'created' ? 'created' : 'exited';
    if (!everyState && !running) continue;
    if ((before !== undefined && i <= before) || (since !== undefined && i >= since)) continue;
    if (!anyValue(filters, 'id', (prefix) => c.id.startsWith(prefix))) continue;
    if (names.length > 0 && !names.some((re) => re.test(`/${c.name}`))) continue;
    if (!anyValue(filters, 'status', (s) => s === state)) continue;
    if (!anyValue(filters, 'exited', (code) => state === 'exited' && c.exitCode === Number(code))) continue;
    if (ancestors.length > 0 && !ancestors.some((ancestor) => descendsFrom(images, c.image, ancestor))) continue;
    if (filters.has('label')) {
      if (!labelsOf.has(c.image)) labelsOf.set(c.image, await imageLabels(store, images.get(c.image)));
      if (!labelsMatch(filters, labelsOf.get(c.image))) continue;
    }
    selected.push(c);
  }
  return last !== undefined && last >= 0 ? selected.slice(0, last) : selected;
}

/** Whether image `id` is `ancestor` or was built or committed on it (its parent chain reaches it), as Docker's ancestor filter. */
function descendsFrom(images: ReadonlyMap<string, ImageRecord>, id: string, ancestor: string): boolean {
  for (let at: string | undefined = id, steps = 0; at !== undefined && steps <= images.size; at = images.get(at)?.parent, steps++) {
    if (at === ancestor) return true;
  }
  return false;
}
