/**
 * One onnxruntime InferenceSession behind core's session contract: checks feeds against the graph's
 * input metadata before ort sees them (so a wrong name, dtype or shape fails with a message listing
 * what the graph expects), keeps chosen outputs on the device, and turns ort's errors into
 * SamClipErrors naming the backend and, where the message lets us tell, the tensor.
 */
import { SamClipError } from '@samclip/core';
import type { DeviceTensor, Feeds, Fetches, InferenceSession, SessionValue, Tensor, ValueMetadata } from '@samclip/core';
import type { OrtApi, OrtSession, OrtTensor, OrtValueMetadata } from './ort-api.js';
import { fromOrtTensor, isOrtDType, storageLength, toOrtTensor } from './tensor.js';

/** Copies an ort tensor that lives on the device to the CPU. */
export type DeviceDownload = (tensor: OrtTensor) => Promise<Tensor>;

/** An output kept on the engine's device; feeding it back to a session of the same engine costs no copy. */
export class OrtDeviceTensor implements DeviceTensor {
  readonly location = 'device' as const;
  readonly dtype: Tensor['dtype'];
  readonly dims: readonly number[];
  readonly backend: string;
  readonly #ort: OrtApi;
  readonly #download: DeviceDownload;
  #tensor: OrtTensor | undefined;

  constructor(backend: string, ort: OrtApi, tensor: OrtTensor, download: DeviceDownload) {
    if (!isOrtDType(tensor.type)) {
      throw new SamClipError('UNSUPPORTED', `${backend}: onnxruntime kept an output of unknown dtype '${String(tensor.type)}' on the device.`, {
        backend,
        dtype: tensor.type,
      });
    }
    this.backend = backend;
    this.dtype = tensor.type;
    this.dims = [...tensor.dims];
    this.#ort = ort;
    this.#tensor = tensor;
    this.#download = download;
  }

  get disposed(): boolean {
    return this.#tensor === undefined;
  }

  async download(): Promise<Tensor> {
    return this.#download(this.#live());
  }

  dispose(): void {
    this.#tensor?.dispose();
    this.#tensor = undefined;
  }

  /** The ort tensor, when `ort` is the module that made it (device handles do not cross engines). */
  ortTensorFor(ort: OrtApi): OrtTensor | undefined {
    return ort === this.#ort ? this.#live() : undefined;
  }

  #live(): OrtTensor {
    if (this.#tensor === undefined) {
      throw new SamClipError('DISPOSED', `${this.backend}: this device tensor was disposed; keep it until the last run that reads it.`, {
        backend: this.backend,
      });
    }
    return this.#tensor;
  }
}

export interface OrtSessionContext {
  backend: string;
  ort: OrtApi;
  download: DeviceDownload;
  /** Called once the session is released, so the backend can forget it. */
  onDispose(session: OrtInferenceSession): void;
}

function toValueMetadata(meta: OrtValueMetadata): ValueMetadata {
  if (!meta.isTensor) return { name: meta.name };
  // ort reports an unknown rank as an empty shape, which a scalar also has: leave dims unknown then.
  const dims = meta.shape.length === 0 ? undefined : meta.shape.map((dim) => (dim === '' || dim === -1 ? null : dim));
  return {
    name: meta.name,
    ...(isOrtDType(meta.type) ? { dtype: meta.type } : {}),
    ...(dims === undefined ? {} : { dims }),
  };
}

function describeValue(meta: ValueMetadata): string {
  const dims = meta.dims === undefined ? '' : `[${meta.dims.map((dim) => (dim === null ? '?' : String(dim))).join(',')}]`;
  return `${meta.name}: ${meta.dtype ?? 'non-tensor'}${dims}`;
}

function describeAll(values: readonly ValueMetadata[]): string {
  return values.map(describeValue).join(', ');
}

function isDeviceTensor(value: SessionValue): value is DeviceTensor {
  return (value as { location?: unknown }).location === 'device';
}

/** Names (of `candidates`) that occur in `message` as whole tokens. */
function namesIn(message: string, candidates: readonly string[]): string[] {
  return candidates.filter((name) => {
    let from = message.indexOf(name);
    while (from !== -1) {
      const before = message[from - 1];
      const after = message[from + name.length];
      if ((before === undefined || !/[\w.:/]/.test(before)) && (after === undefined || !/[\w.:/]/.test(after))) return true;
      from = message.indexOf(name, from + 1);
    }
    return false;
  });
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim();
}

export class OrtInferenceSession implements InferenceSession {
  readonly inputs: readonly ValueMetadata[];
  readonly outputs: readonly ValueMetadata[];
  readonly #context: OrtSessionContext;
  #session: OrtSession | undefined;
  /** ort sessions must not run concurrently (the wasm and webgpu bindings reject it), so runs queue. */
  #queue: Promise<unknown> = Promise.resolve();

  readonly holdsBuffers: boolean;

  constructor(context: OrtSessionContext, session: OrtSession, holdsBuffers = false) {
    this.#context = context;
    this.#session = session;
    this.holdsBuffers = holdsBuffers;
    this.inputs = session.inputMetadata.map(toValueMetadata);
    this.outputs = session.outputMetadata.map(toValueMetadata);
  }

  get backend(): string {
    return this.#context.backend;
  }

  run(feeds: Feeds, outputNames?: readonly string[]): Promise<Fetches> {
    const result = this.#queue.then(() => this.#run(feeds, outputNames));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async dispose(): Promise<void> {
    const session = this.#session;
    if (session === undefined) return;
    this.#session = undefined;
    await this.#queue;
    this.#context.onDispose(this);
    await session.release();
  }

  async #run(feeds: Feeds, outputNames: readonly string[] | undefined): Promise<Fetches> {
    const { backend, ort } = this.#context;
    const session = this.#session;
    if (session === undefined) {
      throw new SamClipError('DISPOSED', `${backend}: this session was disposed; create a new one to run the graph again.`, { backend });
    }
    const fetchNames = this.#checkOutputNames(outputNames);
    const ortFeeds: Record<string, OrtTensor> = {};
    for (const [name, value] of Object.entries(feeds)) {
      ortFeeds[name] = await this.#toOrtFeed(name, value);
    }
    const missing = this.inputs.filter((input) => !(input.name in feeds));
    if (missing.length > 0) {
      throw new SamClipError(
        'INVALID_ARGUMENT',
        `${backend}: missing graph input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m.name}'`).join(', ')}; the graph expects ${describeAll(this.inputs)}.`,
        { backend, tensor: missing[0]?.name, missing: missing.map((m) => m.name) },
      );
    }

    let results: Awaited<ReturnType<OrtSession['run']>>;
    try {
      results = await session.run(ortFeeds, fetchNames);
    } catch (error) {
      const message = errorMessage(error);
      const named = namesIn(message, [...this.inputs, ...this.outputs].map((value) => value.name));
      throw new SamClipError(
        'SESSION',
        `${backend}: running the graph failed${named.length > 0 ? ` at ${named.map((n) => `'${n}'`).join(', ')}` : ''}: ${message}`,
        { backend, ...(named[0] === undefined ? {} : { tensor: named[0] }) },
        { cause: error },
      );
    }

    const fetches: Fetches = {};
    for (const name of fetchNames) {
      const value = results[name];
      if (value === undefined) {
        throw new SamClipError('SESSION', `${backend}: onnxruntime returned no value for output '${name}'.`, { backend, tensor: name });
      }
      const tensor = value as OrtTensor;
      fetches[name] =
        tensor.location === 'cpu' || tensor.location === 'cpu-pinned'
          ? fromOrtTensor(tensor)
          : new OrtDeviceTensor(backend, ort, tensor, this.#context.download);
    }
    return fetches;
  }

  #checkOutputNames(outputNames: readonly string[] | undefined): string[] {
    const known = this.outputs.map((output) => output.name);
    if (outputNames === undefined) return known;
    const unknown = outputNames.filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new SamClipError(
        'INVALID_ARGUMENT',
        `${this.backend}: the graph has no output ${unknown.map((n) => `'${n}'`).join(', ')}; its outputs are ${describeAll(this.outputs)}.`,
        { backend: this.backend, tensor: unknown[0], outputs: known },
      );
    }
    return [...outputNames];
  }

  async #toOrtFeed(name: string, value: SessionValue): Promise<OrtTensor> {
    const { backend, ort } = this.#context;
    const meta = this.inputs.find((input) => input.name === name);
    if (meta === undefined) {
      throw new SamClipError('INVALID_ARGUMENT', `${backend}: the graph has no input '${name}'; it expects ${describeAll(this.inputs)}.`, {
        backend,
        tensor: name,
        inputs: this.inputs.map((input) => input.name),
      });
    }
    this.#checkDTypeAndDims(meta, value.dtype, value.dims);
    if (isDeviceTensor(value)) {
      const own = value instanceof OrtDeviceTensor ? value.ortTensorFor(ort) : undefined;
      // A handle from another engine has to come through the CPU.
      return own ?? toOrtTensor(ort, await value.download(), backend, name);
    }
    const expectedLength = storageLength(value.dtype, value.dims);
    if (value.data.length !== expectedLength) {
      throw new SamClipError(
        'SHAPE',
        `${backend}: input '${name}' has ${value.data.length} values but dims [${value.dims.join(',')}] need ${expectedLength}.`,
        { backend, tensor: name, dims: [...value.dims], length: value.data.length },
      );
    }
    return toOrtTensor(ort, value, backend, name);
  }

  #checkDTypeAndDims(meta: ValueMetadata, dtype: string, dims: readonly number[]): void {
    const backend = this.backend;
    if (meta.dtype !== undefined && meta.dtype !== dtype) {
      throw new SamClipError(
        'INVALID_ARGUMENT',
        `${backend}: input '${meta.name}' must be ${meta.dtype}, got ${dtype}; the graph expects ${describeAll(this.inputs)}.`,
        { backend, tensor: meta.name, expected: meta.dtype, actual: dtype },
      );
    }
    if (meta.dims === undefined) return;
    const fits = meta.dims.length === dims.length && meta.dims.every((dim, i) => typeof dim !== 'number' || dim === dims[i]);
    if (!fits) {
      throw new SamClipError(
        'SHAPE',
        `${backend}: input '${meta.name}' has dims [${dims.join(',')}] but the graph expects ${describeValue(meta)}.`,
        { backend, tensor: meta.name, expected: [...meta.dims], actual: [...dims] },
      );
    }
  }
}
