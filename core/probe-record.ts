import { readFile, writeFile } from 'node:fs/promises';

/** This boot's id (new at every boot), or undefined where the kernel does not tell. */
export async function bootId(): Promise<string | undefined> {
  const id = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
  return id === '' ? undefined : id;
}

/**
 * A driver probe that costs (a test mount, loading a native library), run once
 * and remembered: `record` holds `key` after a pass, and while it still holds
 * the same key the probe is taken as passed. The key names everything the
 * answer depends on — at least the boot id, so a reboot probes again. A failed
 * probe is never remembered, and an undefined key (no boot id) always probes.
 * `probe` answers why it failed, or undefined when it passed; it must not
 * throw. Resolves with that answer (undefined for a remembered pass).
 */
export async function rememberedProbe(record: string, key: string | undefined, probe: () => Promise<string | undefined>): Promise<string | undefined> {
  if (key !== undefined && (await readFile(record, 'utf8').catch(() => undefined)) === key) return undefined;
  const failure = await probe();
  if (failure === undefined && key !== undefined) await writeFile(record, key, { mode: 0o600 }).catch(() => undefined);
  return failure;
}
