import { open } from 'node:fs/promises';

/** fsyncs a file or directory (a directory: its entries — a rename into it — become durable). */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
