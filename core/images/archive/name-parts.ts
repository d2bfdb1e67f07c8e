/**
 * The repository and tag of an image name as the writers need them
 * (`repositories`, ref.name). A stop-gap: to be replaced by the parsed
 * references of core/images/reference.ts, which owns the grammar.
 */
export function splitName(name: string): { repository: string; tag?: string } | undefined {
  if (name.includes('@')) return undefined; // a digest reference has no tag to record
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repository: name };
}
