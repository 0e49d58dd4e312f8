/**
 * Errors with a stable `code`, a message that says what to do, and machine-readable `details`.
 *
 * CodedError is the base that @samclip/core's SamClipError can extend (core depends on prompts,
 * never the reverse), so `error instanceof CodedError` catches failures from either package and
 * `error.code` is always one of SamClipErrorCode's strings.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  /** Machine-readable context: the option, index or value involved. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: Code, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

/** What @samclip/prompts throws for unusable input: NaN coordinates, a malformed vocab file… */
export class PromptError extends CodedError<'INVALID_ARGUMENT'> {
  override readonly name: string = 'PromptError';

  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, details, options);
  }
}

export function isPromptError(value: unknown): value is PromptError {
  return value instanceof PromptError;
}
