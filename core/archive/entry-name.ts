import { ErrorCode, StrataError } from '../errors.js';

/**
 * Normalizes a tar entry name to the form of `LayerTarHeader.name`: leading "/"
 * and "./" stripped (absolute names become relative to the layer), "//" and "."
 * components collapsed, no trailing "/"; the root is ".".
 * Fails with EUNSAFEARCHIVE for a ".." component or a NUL byte; `what` names the
 * entry in the message.
 */
export function normalizeEntryName(raw: string, what: string = raw): string {
  if (raw.includes('\0')) {
    throw new StrataError(ErrorCode.EUNSAFEARCHIVE, `entry ${JSON.stringify(what)}: name contains a NUL byte`);
  }
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      throw new StrataError(ErrorCode.EUNSAFEARCHIVE, `entry ${JSON.stringify(what)}: name has a ".." component`);
    }
    parts.push(part);
  }
  return parts.length === 0 ? '.' : parts.join('/');
}

/** Components of a normalized entry name; [] for the root ".". */
export function entryNameParts(name: string): string[] {
  return name === '.' ? [] : name.split('/');
}

/** The layer path ("/a/b", root "/") of a normalized entry name. */
export function entryLayerPath(name: string): string {
  return name === '.' ? '/' : `/${name}`;
}
