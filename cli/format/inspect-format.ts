/**
 * `inspect --format`, as docker/cli's TemplateInspector runs it: the template
 * is run over each document's typed view first (Docker decodes the daemon's
 * JSON into Go structs: unset slices print `[]`, typed maps `map[]`, a missing
 * map key `<no value>`, the id is `.ID`); where that fails, over the plain
 * JSON with missing keys as errors (`map has no entry for key "Nope"`) and
 * nulls as `<no value>`. `json` prints every document as one compact JSON
 * array. The template text is used as given (no `\t` escapes, no trimming).
 */
import { ErrorCode, StrataError } from '../../core/errors.js';
import { GoTemplate, GoTemplateError } from './go-template.js';
import { goNilMap, goNilSlice, isPlainObject } from './go-value.js';

/** A document twice: as Docker's typed structs see it (`typedImageView`) and as JSON. */
export interface InspectDocument {
  readonly typed: unknown;
  readonly raw: unknown;
}

function usage(err: GoTemplateError): StrataError {
  return new StrataError(ErrorCode.EUSAGE, `template parsing error: ${err.message}`, { cause: err });
}

/** The text to print (one line per document that succeeded) and the first failure, if any. */
export function inspectFormat(format: string, docs: readonly InspectDocument[]): { text: string; error?: StrataError } {
  if (format === 'json') return { text: JSON.stringify(docs.map((d) => d.raw)) + '\n' };
  let template: GoTemplate;
  try {
    template = GoTemplate.parse(format);
  } catch (err) {
    if (err instanceof GoTemplateError) return { text: '', error: usage(err) };
    throw err;
  }
  let text = '';
  let error: StrataError | undefined;
  for (const doc of docs) {
    try {
      text += template.execute(doc.typed, { missingKey: 'error' }) + '\n';
    } catch {
      try {
        text += template.execute(doc.raw, { missingKey: 'error' }) + '\n';
      } catch (err) {
        if (!(err instanceof GoTemplateError)) throw err;
        error ??= usage(err);
      }
    }
  }
  // Docker's Flush writes an empty line when no document printed anything (every one failed).
  return { text: text === '' ? '\n' : text, ...(error === undefined ? {} : { error }) };
}

const CONFIG_SLICES = ['Env', 'Cmd', 'Entrypoint', 'OnBuild', 'Shell'];
const CONFIG_MAPS = ['Labels', 'Volumes', 'ExposedPorts'];

/** A JSON object as a typed Go map: a Map (missing keys `<no value>`, null `map[]`). */
function typedMap(value: unknown): Map<string, unknown> {
  return isPlainObject(value) ? new Map(Object.entries(value)) : goNilMap();
}

function typedSlice(value: unknown): unknown {
  return Array.isArray(value) ? value : goNilSlice();
}

function typedConfig(config: unknown): unknown {
  if (!isPlainObject(config)) return config;
  const out: Record<string, unknown> = { ...config };
  for (const key of CONFIG_SLICES) if (key in out) out[key] = typedSlice(out[key]);
  for (const key of CONFIG_MAPS) if (key in out) out[key] = typedMap(out[key]);
  return out;
}

/**
 * Docker's typed view (image.InspectResponse, container.InspectResponse) of
 * strata's `inspect` JSON of an image or a container: `.ID` for `.Id`, unset
 * slices and maps typed (nil: `[]`, `map[]`, `null` to json).
 */
export function typedInspectView(doc: Record<string, unknown>): Record<string, unknown> {
  const { Id, ...rest } = doc;
  const out: Record<string, unknown> = { ID: Id, ...rest };
  for (const key of ['RepoTags', 'RepoDigests', 'Args']) if (key in out) out[key] = typedSlice(out[key]);
  for (const key of ['Config', 'ContainerConfig']) if (key in out) out[key] = typedConfig(out[key]);
  if (isPlainObject(out.GraphDriver)) out.GraphDriver = { ...out.GraphDriver, Data: typedMap(out.GraphDriver.Data) };
  if (isPlainObject(out.RootFS)) out.RootFS = { ...out.RootFS, Layers: typedSlice(out.RootFS.Layers) };
  if (isPlainObject(out.HostConfig)) out.HostConfig = { ...out.HostConfig, Binds: typedSlice(out.HostConfig.Binds) };
  return out;
}
