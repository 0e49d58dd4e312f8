/**
 * Every failure samclip reports is a SamClipError with a stable `code`, so apps can branch on
 * the code and users read a message that names the problem and what to do about it.
 */
export type SamClipErrorCode =
  | 'INVALID_ARGUMENT' // a caller passed a value the API cannot use (NaN coordinate, empty label list…)
  | 'INVALID_IMAGE' // an image could not be decoded, or its size is zero or beyond the limit
  | 'MODEL_DECODE' // bytes are not a valid ONNX model / tensor
  | 'MODEL_ENCODE' // a model could not be serialised
  | 'MANIFEST_INVALID' // samclip.json fails its schema or references missing files
  | 'MANIFEST_VERSION' // samclip.json was written by a newer, unknown schema version
  | 'INTEGRITY' // a bundle file's sha256 or size differs from the manifest
  | 'CONTRACT' // a graph's inputs/outputs contradict the contract of its role
  | 'NOT_FOUND' // a file, URL, graph, variant or role that is not there
  | 'IO' // a read, write or fetch failed
  | 'BACKEND_UNAVAILABLE' // the requested backend is not registered or not supported here
  | 'BACKEND_INIT' // a backend failed to initialise
  | 'UNSUPPORTED_OP' // a graph uses an operator the chosen backend cannot run
  | 'UNSUPPORTED' // a bundle or backend cannot serve the requested task or dtype
  | 'SESSION' // running a session failed
  | 'SHAPE' // tensor shapes do not fit together
  | 'CONVERSION' // a converter pass or validation threshold failed
  | 'DISPOSED' // an object was used after dispose()
  | 'CANCELLED'; // work was cancelled by the caller

export class SamClipError extends Error {
  override readonly name = 'SamClipError';
  readonly code: SamClipErrorCode;
  /** Machine-readable context: the file, tensor, graph or option involved. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: SamClipErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isSamClipError(value: unknown, code?: SamClipErrorCode): value is SamClipError {
  return value instanceof SamClipError && (code === undefined || value.code === code);
}
