import { Readable } from 'node:stream';
import tar from 'tar-stream';

/** One entry as tar-stream (an independent reader) decodes it. */
export interface ListedEntry {
  readonly name: string;
  readonly type: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeSeconds: number;
  readonly size: number;
  readonly linkname: string | null;
  readonly uname: string;
  readonly pax: Record<string, string> | null;
  readonly content: Buffer;
}

/** Every entry of an uncompressed tar, in order, with its content. */
export async function listTar(archive: Buffer): Promise<ListedEntry[]> {
  const extract = tar.extract();
  Readable.from([archive]).pipe(extract);
  const out: ListedEntry[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const h = entry.header;
    out.push({
      name: h.name,
      type: String(h.type),
      mode: h.mode ?? 0,
      uid: h.uid ?? 0,
      gid: h.gid ?? 0,
      mtimeSeconds: (h.mtime?.getTime() ?? 0) / 1000,
      size: h.size ?? 0,
      linkname: h.linkname ?? null,
      uname: h.uname ?? '',
      pax: (h.pax as Record<string, string> | undefined) ?? null,
      content: Buffer.concat(chunks),
    });
  }
  return out;
}
