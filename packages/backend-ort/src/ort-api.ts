/**
 * The slice of the onnxruntime JavaScript API samclip uses. onnxruntime-node and onnxruntime-web
 * both re-export onnxruntime-common, so one set of types describes either module; each backend
 * still builds tensors with its own module's `Tensor` class.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import type * as OrtWeb from 'onnxruntime-web';

export type OrtTensor = Tensor;
export type OrtSession = InferenceSession;
export type OrtSessionOptions = InferenceSession.SessionOptions;
export type OrtValueMetadata = InferenceSession.ValueMetadata;

export interface OrtApi {
  readonly Tensor: typeof OrtWeb.Tensor;
  readonly InferenceSession: {
    /** A path is read by the engine itself (onnxruntime-node only). */
    create(model: Uint8Array | string, options?: OrtSessionOptions): Promise<OrtSession>;
  };
}
