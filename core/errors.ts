/**
 * strata's typed errors. Every failure that reaches a user carries one code from
 * this closed set and a one-line message; code never matches on message text.
 * The CLI maps each code to an exit status (cli/exit-status.ts).
 */
export const ErrorCode = {
  /** No layer (or image, or path) has that id or name. */
  ENOLAYER: 'ENOLAYER',
  /** A short id prefix matches more than one layer. */
  EAMBIGUOUS: 'EAMBIGUOUS',
  /** A layer with that id exists already. */
  ELAYEREXISTS: 'ELAYEREXISTS',
  /** The layer is mounted; unmount it first. */
  ELAYERBUSY: 'ELAYERBUSY',
  /** The layer has child layers; remove them first. */
  ELAYERHASCHILDREN: 'ELAYERHASCHILDREN',
  /** A path does not exist in the layer's union. */
  ENOTFOUND: 'ENOTFOUND',
  /** A write was attempted on a read-only layer or mount. */
  EREADONLY: 'EREADONLY',
  /** A tar entry would write, link or resolve outside its layer. */
  EUNSAFEARCHIVE: 'EUNSAFEARCHIVE',
  /** A tar is malformed, truncated or not a tar at all. */
  EBADARCHIVE: 'EBADARCHIVE',
  /** The driver cannot work here (kernel feature, /dev/fuse, privileges). */
  EDRIVERUNAVAILABLE: 'EDRIVERUNAVAILABLE',
  /** No driver is registered under that name. */
  EUNKNOWNDRIVER: 'EUNKNOWNDRIVER',
  /** The driver does not offer this operation (see its capabilities). */
  EUNSUPPORTED: 'EUNSUPPORTED',
  /** A configuration value is invalid. */
  ECONFIG: 'ECONFIG',
  /** Another process holds the store lock and did not release it in time. */
  ELOCKED: 'ELOCKED',
  /** Stored content does not match its recorded digest or metadata. */
  ECORRUPT: 'ECORRUPT',
  /** Command-line usage error. */
  EUSAGE: 'EUSAGE',
  /** An operating-system call failed in a way no other code describes. */
  EIO: 'EIO',
  /** An argument or value a caller passed is malformed (an id, a reference, a flag's value). */
  EINVALID: 'EINVALID',
  /** No image has that name, id or digest. */
  ENOIMAGE: 'ENOIMAGE',
  /** No container has that name or id. */
  ENOCONTAINER: 'ENOCONTAINER',
  /** A name is taken, or an object is in use (an image by a container, a running container). */
  ECONFLICT: 'ECONFLICT',
  /** A registry answered with an error (the message names the reference and what it said). */
  EREGISTRY: 'EREGISTRY',
  /** A registry refused the credentials, or asked for credentials that were not given. */
  EAUTH: 'EAUTH',
  /** A registry could not be reached (connection refused, reset, TLS failure, time-out). */
  ENETWORK: 'ENETWORK',
  /** A Dockerfile is malformed, or one of its steps failed. */
  EBUILD: 'EBUILD',
  /** The operation needs privileges this process does not have (root, for the runner). */
  EPRIVILEGE: 'EPRIVILEGE',
  /** A container's process could not be started (an unknown user): Docker's status 125. */
  ESTART: 'ESTART',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Marks every StrataError, whichever copy of this module made it (see below). */
const STRATA_ERROR = Symbol.for('strata.StrataError');

/**
 * An error strata means the user to read: a code and one line. `instanceof`
 * recognises one made by any copy of this module — the bundled command line,
 * the compiled library, a plugin's own copy — through a registered-symbol brand,
 * so an error crossing from one to another is still reported as itself.
 */
export class StrataError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StrataError';
    this.code = code;
    Object.defineProperty(this, STRATA_ERROR, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== StrataError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[STRATA_ERROR] === true;
  }
}

export function isStrataError(err: unknown, code?: ErrorCode): err is StrataError {
  return err instanceof StrataError && (code === undefined || err.code === code);
}

/** The errno name of a Node system error (`ENOENT`, ...), or undefined. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
