/**
 * A template that does not parse ('parse') or fails while it runs ('exec'),
 * with Go's text/template message: `template: :1: unclosed action`,
 * `template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in
 * type *formatter.imageContext`.
 */
export class GoTemplateError extends Error {
  /** For 'exec': what the template printed before it failed (Docker keeps it in a table's header). */
  partial = '';

  constructor(
    readonly kind: 'parse' | 'exec',
    message: string,
  ) {
    super(message);
    this.name = 'GoTemplateError';
  }
}
