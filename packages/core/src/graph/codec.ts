/**
 * ONNX ModelProto / TensorProto ⇄ samclip graph IR.
 *
 * Decoding never walks tensor bytes element by element: raw_data becomes a typed-array view of the
 * input buffer when aligned (one copy otherwise), so decoded models share memory with the bytes they
 * came from. Encoding writes every in-memory tensor as little-endian raw_data and copies each weight
 * exactly once, into the output buffer.
 */
import { SamClipError } from '../errors.js';
import { ATTRIBUTE_TYPE, DATA_LOCATION_EXTERNAL, onnxMessageTypes } from './onnx-schema.js';
import { dtypeFromOnnx, elementCount, isStorageOf, rawByteLength, rawBytesToTensorData, storageLength, tensorDataToRawBytes } from './tensor.js';
import type {
  Attribute,
  AttributeValue,
  Dim,
  DType,
  ExternalDataRef,
  Graph,
  Initializer,
  Model,
  Node,
  OpsetImport,
  StringEntry,
  Tensor,
  TensorData,
  TypeInfo,
  ValueInfo,
} from './types.js';
import { ONNX_DATA_TYPE } from './types.js';

/** An int64 as protobufjs hands it out: a number, or a long.js Long when that library is present. */
type LongLike = number | { low: number; high: number; unsigned?: boolean };
/** An int64 as protobufjs accepts it. */
type LongInput = number | { low: number; high: number; unsigned: boolean };

interface StringEntryMessage {
  key?: string;
  value?: string;
}
interface TensorMessage {
  dims?: LongLike[];
  dataType?: number;
  segment?: { begin?: LongLike; end?: LongLike };
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: LongLike[];
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  externalData?: StringEntryMessage[];
  dataLocation?: number;
  doubleData?: number[];
  uint64Data?: LongLike[];
  metadataProps?: StringEntryMessage[];
}
interface DimensionMessage {
  dimValue?: LongLike;
  dimParam?: string;
}
interface ShapeMessage {
  dim?: DimensionMessage[];
}
interface TypeMessage {
  tensorType?: { elemType?: number; shape?: ShapeMessage };
  sequenceType?: { elemType?: TypeMessage };
  mapType?: { keyType?: number; valueType?: TypeMessage };
  optionalType?: { elemType?: TypeMessage };
  sparseTensorType?: { elemType?: number; shape?: ShapeMessage };
  opaqueType?: { domain?: string; name?: string };
}
interface ValueInfoMessage {
  name?: string;
  type?: TypeMessage;
  docString?: string;
  metadataProps?: StringEntryMessage[];
}
interface AttributeMessage {
  name?: string;
  refAttrName?: string;
  docString?: string;
  type?: number;
  f?: number;
  i?: LongLike;
  s?: Uint8Array;
  t?: TensorMessage;
  g?: GraphMessage;
  sparseTensor?: Uint8Array;
  tp?: TypeMessage;
  floats?: number[];
  ints?: LongLike[];
  strings?: Uint8Array[];
  tensors?: TensorMessage[];
  graphs?: GraphMessage[];
  sparseTensors?: Uint8Array[];
  typeProtos?: TypeMessage[];
}
interface NodeMessage {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  overload?: string;
  attribute?: AttributeMessage[];
  docString?: string;
  metadataProps?: StringEntryMessage[];
  deviceConfigurations?: Uint8Array[];
}
interface GraphMessage {
  node?: NodeMessage[];
  name?: string;
  initializer?: TensorMessage[];
  sparseInitializer?: Uint8Array[];
  docString?: string;
  input?: ValueInfoMessage[];
  output?: ValueInfoMessage[];
  valueInfo?: ValueInfoMessage[];
  quantizationAnnotation?: Uint8Array[];
  metadataProps?: StringEntryMessage[];
}
interface ModelMessage {
  irVersion?: LongLike;
  opsetImport?: Array<{ domain?: string; version?: LongLike }>;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: LongLike;
  docString?: string;
  graph?: GraphMessage;
  metadataProps?: StringEntryMessage[];
  trainingInfo?: Uint8Array[];
  functions?: Uint8Array[];
  configuration?: Uint8Array[];
}

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** A plain Uint8Array view (protobufjs hands out Node Buffers when decoding a Buffer). */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function plainBytesList(list: Uint8Array[] | undefined): Uint8Array[] {
  return (list ?? []).map(plainBytes);
}

/** Whether a decoded message carries a field on the wire (protobufjs keeps defaults on the prototype). */
function has<T extends object>(message: T, key: keyof T & string): boolean {
  return Object.prototype.hasOwnProperty.call(message, key);
}

// ---- int64 -----------------------------------------------------------------------------------

function longToBigInt(value: LongLike, unsigned: boolean): bigint {
  if (typeof value === 'number') return BigInt(value);
  const combined = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return unsigned ? combined : BigInt.asIntN(64, combined);
}

function longToNumberOrBigInt(value: LongLike | undefined): number | bigint {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const high = value.unsigned ? value.high >>> 0 : value.high;
  const approx = high * 4294967296 + (value.low >>> 0);
  return Number.isSafeInteger(approx) ? approx : longToBigInt(value, value.unsigned === true);
}

function longToSafeNumber(value: LongLike | undefined, what: string): number {
  const result = longToNumberOrBigInt(value);
  if (typeof result === 'bigint') {
    throw new SamClipError('MODEL_DECODE', `${what} is ${result}, beyond the integers JavaScript numbers represent exactly.`, { what });
  }
  return result;
}

function toLongInput(value: number | bigint, what: string): LongInput {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new SamClipError('MODEL_ENCODE', `${what} must be an integer (a safe-integer number or a bigint), not ${value}.`, { what });
    }
    return value;
  }
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned: false };
}

// ---- decode ----------------------------------------------------------------------------------

function decodeEntries(entries: StringEntryMessage[] | undefined): StringEntry[] {
  return (entries ?? []).map((entry) => ({ key: entry.key ?? '', value: entry.value ?? '' }));
}

function withOptional<T extends object, K extends string, V>(target: T, key: K, value: V | undefined, present: boolean): T & { [P in K]?: V } {
  if (present && value !== undefined) (target as Record<string, unknown>)[key] = value;
  return target as T & { [P in K]?: V };
}

function decodeDType(code: number | undefined, what: string): DType {
  const dtype = dtypeFromOnnx(code ?? 0);
  if (!dtype) {
    throw new SamClipError(
      'MODEL_DECODE',
      `${what} has ONNX data type ${code ?? 0}, which samclip does not support (supported: ${Object.entries(ONNX_DATA_TYPE)
        .filter(([name]) => name !== 'undefined')
        .map(([name, value]) => `${name}=${value}`)
        .join(', ')}).`,
      { what, dataType: code ?? 0 },
    );
  }
  return dtype;
}

function decodeExternalRef(message: TensorMessage, dtype: DType, dims: number[], what: string): ExternalDataRef {
  const entries = new Map((message.externalData ?? []).map((entry) => [entry.key ?? '', entry.value ?? '']));
  const location = entries.get('location');
  if (!location) {
    throw new SamClipError('MODEL_DECODE', `${what} is marked as external data but names no "location".`, { what });
  }
  const parseCount = (key: string): number | undefined => {
    const text = entries.get(key);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new SamClipError('MODEL_DECODE', `${what} has external data ${key} "${text}", which is not a byte count.`, { what, [key]: text });
    }
    return value;
  };
  const ref: ExternalDataRef = {
    location,
    offset: parseCount('offset') ?? 0,
    length: parseCount('length') ?? rawByteLength(dtype, elementCount(dims)),
  };
  const checksum = entries.get('checksum');
  if (checksum !== undefined) ref.checksum = checksum;
  return ref;
}

/** Element data from the spec's typed fields (used when raw_data is absent). */
function decodeTypedField(message: TensorMessage, dtype: DType, count: number, what: string): TensorData {
  const int32 = message.int32Data ?? [];
  switch (dtype) {
    case 'float32':
      return Float32Array.from(message.floatData ?? []);
    case 'float64':
      return Float64Array.from(message.doubleData ?? []);
    case 'int32':
      return Int32Array.from(int32);
    case 'int16':
      return Int16Array.from(int32);
    case 'int8':
      return Int8Array.from(int32);
    case 'uint16':
    case 'float16':
    case 'bfloat16':
      return Uint16Array.from(int32);
    case 'uint8':
    case 'bool':
    case 'int4':
    case 'uint4':
      // int32_data holds one element per entry, or one packed byte (two elements) for 4-bit types.
      return Uint8Array.from(int32);
    case 'int64':
      return BigInt64Array.from(message.int64Data ?? [], (value) => longToBigInt(value, false));
    case 'uint32':
      return Uint32Array.from(message.uint64Data ?? [], (value) => Number(longToBigInt(value, true)));
    case 'uint64':
      return BigUint64Array.from(message.uint64Data ?? [], (value) => longToBigInt(value, true));
    case 'string':
      return (message.stringData ?? []).map((bytes) => utf8Decoder.decode(bytes));
    default:
      throw new SamClipError('MODEL_DECODE', `${what}: unhandled dtype ${String(dtype satisfies never)} (count ${count}).`, { what });
  }
}

function decodeTensorMessage(message: TensorMessage, what: string): Initializer {
  const name = message.name ?? '';
  const label = name ? `${what} "${name}"` : what;
  const dtype = decodeDType(message.dataType, label);
  const dims = (message.dims ?? []).map((dim) => longToSafeNumber(dim, `A dimension of ${label}`));
  const initializer: Initializer = { name, dtype, dims };
  if (message.docString) initializer.docString = message.docString;
  if (message.segment && has(message, 'segment')) {
    initializer.segment = {
      begin: longToSafeNumber(message.segment.begin, `The segment begin of ${label}`),
      end: longToSafeNumber(message.segment.end, `The segment end of ${label}`),
    };
  }
  if ((message.metadataProps ?? []).length > 0) initializer.metadataProps = decodeEntries(message.metadataProps);

  let count: number;
  try {
    count = elementCount(dims);
  } catch (error) {
    throw new SamClipError('MODEL_DECODE', `${label} has an invalid shape [${dims.join(', ')}].`, { what: label }, { cause: error });
  }
  if (message.dataLocation === DATA_LOCATION_EXTERNAL) {
    initializer.external = decodeExternalRef(message, dtype, dims, label);
    return initializer;
  }
  // A segment holds only part of the elements; the shape describes the whole tensor.
  const expectedCount = initializer.segment ? initializer.segment.end - initializer.segment.begin : count;
  let data: TensorData;
  if (dtype !== 'string' && message.rawData && has(message, 'rawData')) {
    const expectedBytes = rawByteLength(dtype, expectedCount);
    if (message.rawData.byteLength !== expectedBytes) {
      throw new SamClipError(
        'MODEL_DECODE',
        `${label} (${dtype} [${dims.join(', ')}]) needs ${expectedBytes} bytes of raw_data, but has ${message.rawData.byteLength}.`,
        { what: label, expected: expectedBytes, actual: message.rawData.byteLength },
      );
    }
    data = rawBytesToTensorData(dtype, message.rawData, expectedCount);
  } else {
    data = decodeTypedField(message, dtype, expectedCount, label);
    const expectedLength = storageLength(dtype, expectedCount);
    if (data.length !== expectedLength) {
      throw new SamClipError(
        'MODEL_DECODE',
        `${label} (${dtype} [${dims.join(', ')}]) needs ${expectedLength} stored values, but its data fields hold ${data.length}.`,
        { what: label, expected: expectedLength, actual: data.length },
      );
    }
  }
  initializer.data = data;
  return initializer;
}

function decodeShape(shape: ShapeMessage | undefined): Dim[] | undefined {
  if (!shape) return undefined;
  return (shape.dim ?? []).map((dim): Dim => {
    if (has(dim, 'dimValue')) return longToSafeNumber(dim.dimValue, 'A shape dimension');
    if (has(dim, 'dimParam')) return dim.dimParam ?? null;
    return null;
  });
}

function decodeType(message: TypeMessage | undefined, what: string): TypeInfo | undefined {
  if (!message) return undefined;
  if (message.tensorType && has(message, 'tensorType')) {
    const info: TypeInfo = { kind: 'tensor', elemType: decodeDType(message.tensorType.elemType, `The element type of ${what}`) };
    return withOptional(info, 'shape', decodeShape(message.tensorType.shape), has(message.tensorType, 'shape'));
  }
  if (message.sequenceType && has(message, 'sequenceType')) {
    return { kind: 'sequence', elemType: requireType(message.sequenceType.elemType, `the elements of ${what}`) };
  }
  if (message.optionalType && has(message, 'optionalType')) {
    return { kind: 'optional', elemType: requireType(message.optionalType.elemType, `the value of ${what}`) };
  }
  if (message.mapType && has(message, 'mapType')) {
    return {
      kind: 'map',
      keyType: decodeDType(message.mapType.keyType, `The key type of ${what}`),
      valueType: requireType(message.mapType.valueType, `the values of ${what}`),
    };
  }
  if (message.sparseTensorType && has(message, 'sparseTensorType')) {
    const info: TypeInfo = { kind: 'sparse_tensor', elemType: decodeDType(message.sparseTensorType.elemType, `The element type of ${what}`) };
    return withOptional(info, 'shape', decodeShape(message.sparseTensorType.shape), has(message.sparseTensorType, 'shape'));
  }
  if (message.opaqueType && has(message, 'opaqueType')) {
    throw new SamClipError('MODEL_DECODE', `${what} has an opaque type, which samclip cannot represent.`, { what });
  }
  return undefined;
}

function requireType(message: TypeMessage | undefined, what: string): TypeInfo {
  const type = decodeType(message, what);
  if (!type) throw new SamClipError('MODEL_DECODE', `The type of ${what} is missing.`, { what });
  return type;
}

function decodeValueInfo(message: ValueInfoMessage): ValueInfo {
  const name = message.name ?? '';
  const info: ValueInfo = { name };
  const type = decodeType(message.type, `value "${name}"`);
  if (type) info.type = type;
  if (message.docString) info.docString = message.docString;
  if ((message.metadataProps ?? []).length > 0) info.metadataProps = decodeEntries(message.metadataProps);
  return info;
}

/** The attribute type of IR v1 attributes, which predate the `type` discriminator. */
function inferAttributeType(message: AttributeMessage): number {
  const singular: Array<[keyof AttributeMessage & string, number]> = [
    ['f', ATTRIBUTE_TYPE.float],
    ['i', ATTRIBUTE_TYPE.int],
    ['s', ATTRIBUTE_TYPE.string],
    ['t', ATTRIBUTE_TYPE.tensor],
    ['g', ATTRIBUTE_TYPE.graph],
    ['sparseTensor', ATTRIBUTE_TYPE.sparse_tensor],
    ['tp', ATTRIBUTE_TYPE.type_proto],
  ];
  for (const [key, type] of singular) if (has(message, key)) return type;
  const lists: Array<[keyof AttributeMessage & string, number]> = [
    ['floats', ATTRIBUTE_TYPE.floats],
    ['ints', ATTRIBUTE_TYPE.ints],
    ['strings', ATTRIBUTE_TYPE.strings],
    ['tensors', ATTRIBUTE_TYPE.tensors],
    ['graphs', ATTRIBUTE_TYPE.graphs],
    ['sparseTensors', ATTRIBUTE_TYPE.sparse_tensors],
    ['typeProtos', ATTRIBUTE_TYPE.type_protos],
  ];
  for (const [key, type] of lists) if (((message[key] as unknown[] | undefined) ?? []).length > 0) return type;
  return ATTRIBUTE_TYPE.undefined;
}

function decodeAttribute(message: AttributeMessage, nodeLabel: string): Attribute {
  const name = message.name ?? '';
  const what = `attribute "${name}" of ${nodeLabel}`;
  const type = message.type ? message.type : inferAttributeType(message);
  let value: AttributeValue;
  switch (type) {
    case ATTRIBUTE_TYPE.float:
      value = { type: 'float', value: message.f ?? 0 };
      break;
    case ATTRIBUTE_TYPE.int:
      value = { type: 'int', value: longToNumberOrBigInt(message.i) };
      break;
    case ATTRIBUTE_TYPE.string:
      value = { type: 'string', value: utf8Decoder.decode(message.s ?? new Uint8Array(0)) };
      break;
    case ATTRIBUTE_TYPE.tensor:
      value = { type: 'tensor', value: decodeTensorMessage(message.t ?? {}, `the tensor of ${what}`) };
      break;
    case ATTRIBUTE_TYPE.graph:
      value = { type: 'graph', value: decodeGraph(message.g ?? {}) };
      break;
    case ATTRIBUTE_TYPE.floats:
      value = { type: 'floats', value: [...(message.floats ?? [])] };
      break;
    case ATTRIBUTE_TYPE.ints:
      value = { type: 'ints', value: (message.ints ?? []).map((item) => longToNumberOrBigInt(item)) };
      break;
    case ATTRIBUTE_TYPE.strings:
      value = { type: 'strings', value: (message.strings ?? []).map((bytes) => utf8Decoder.decode(bytes)) };
      break;
    case ATTRIBUTE_TYPE.tensors:
      value = { type: 'tensors', value: (message.tensors ?? []).map((tensor) => decodeTensorMessage(tensor, `a tensor of ${what}`)) };
      break;
    case ATTRIBUTE_TYPE.graphs:
      value = { type: 'graphs', value: (message.graphs ?? []).map((graph) => decodeGraph(graph)) };
      break;
    case ATTRIBUTE_TYPE.sparse_tensor:
      value = { type: 'sparse_tensor', value: plainBytes(message.sparseTensor ?? new Uint8Array(0)) };
      break;
    case ATTRIBUTE_TYPE.sparse_tensors:
      value = { type: 'sparse_tensors', value: plainBytesList(message.sparseTensors) };
      break;
    case ATTRIBUTE_TYPE.type_proto:
      value = { type: 'type_proto', value: requireType(message.tp, what) };
      break;
    case ATTRIBUTE_TYPE.type_protos:
      value = { type: 'type_protos', value: (message.typeProtos ?? []).map((item) => requireType(item, what)) };
      break;
    default:
      throw new SamClipError('MODEL_DECODE', `The ${what} has attribute type ${type}, which is not part of the ONNX spec (or carries no value).`, {
        attribute: name,
        type,
      });
  }
  const attribute: Attribute = { name, value };
  if (message.docString) attribute.docString = message.docString;
  if (message.refAttrName) attribute.refAttrName = message.refAttrName;
  return attribute;
}

function decodeNode(message: NodeMessage, index: number): Node {
  const name = message.name ?? '';
  const opType = message.opType ?? '';
  const label = name ? `node "${name}" (${opType})` : `node #${index} (${opType})`;
  const node: Node = {
    name,
    opType,
    domain: message.domain ?? '',
    inputs: [...(message.input ?? [])],
    outputs: [...(message.output ?? [])],
    attributes: (message.attribute ?? []).map((attribute) => decodeAttribute(attribute, label)),
  };
  if (message.docString) node.docString = message.docString;
  if (message.overload) node.overload = message.overload;
  if ((message.metadataProps ?? []).length > 0) node.metadataProps = decodeEntries(message.metadataProps);
  if ((message.deviceConfigurations ?? []).length > 0) node.deviceConfigurations = plainBytesList(message.deviceConfigurations);
  return node;
}

function decodeGraph(message: GraphMessage): Graph {
  const graph: Graph = {
    name: message.name ?? '',
    nodes: (message.node ?? []).map(decodeNode),
    initializers: (message.initializer ?? []).map((tensor) => decodeTensorMessage(tensor, 'initializer')),
    inputs: (message.input ?? []).map(decodeValueInfo),
    outputs: (message.output ?? []).map(decodeValueInfo),
    valueInfo: (message.valueInfo ?? []).map(decodeValueInfo),
  };
  if (message.docString) graph.docString = message.docString;
  if ((message.sparseInitializer ?? []).length > 0) graph.sparseInitializers = plainBytesList(message.sparseInitializer);
  if ((message.quantizationAnnotation ?? []).length > 0) graph.quantizationAnnotations = plainBytesList(message.quantizationAnnotation);
  if ((message.metadataProps ?? []).length > 0) graph.metadataProps = decodeEntries(message.metadataProps);
  return graph;
}

function checkBytes(bytes: unknown, what: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new SamClipError('INVALID_ARGUMENT', `${what} takes the file's bytes as a Uint8Array (or Node Buffer).`, {});
  }
}

function decodeMessage<T>(type: 'model' | 'tensor', bytes: Uint8Array, what: string): T {
  try {
    return onnxMessageTypes()[type].decode(bytes) as T;
  } catch (error) {
    throw new SamClipError(
      'MODEL_DECODE',
      `These ${bytes.byteLength} bytes are not a valid ${what} (${error instanceof Error ? error.message : String(error)}); check that the file is complete and really is ONNX.`,
      { bytes: bytes.byteLength },
      { cause: error },
    );
  }
}

/**
 * Decodes an ONNX model. Tensor data in the result may share memory with `bytes`: copy a tensor
 * before mutating either.
 */
export function decodeModel(bytes: Uint8Array): Model {
  checkBytes(bytes, 'decodeModel');
  const message = decodeMessage<ModelMessage>('model', bytes, 'ONNX model');
  if (!message.graph || !has(message, 'graph')) {
    throw new SamClipError('MODEL_DECODE', `These ${bytes.byteLength} bytes hold no ONNX graph; they are not an ONNX model file.`, {
      bytes: bytes.byteLength,
    });
  }
  const model: Model = {
    irVersion: longToSafeNumber(message.irVersion, 'The IR version'),
    opsetImports: (message.opsetImport ?? []).map(
      (opset): OpsetImport => ({ domain: opset.domain ?? '', version: longToSafeNumber(opset.version, `The opset version of "${opset.domain ?? ''}"`) }),
    ),
    metadataProps: decodeEntries(message.metadataProps),
    graph: decodeGraph(message.graph),
  };
  if (message.producerName) model.producerName = message.producerName;
  if (message.producerVersion) model.producerVersion = message.producerVersion;
  if (message.domain) model.domain = message.domain;
  if (has(message, 'modelVersion')) model.modelVersion = longToSafeNumber(message.modelVersion, 'The model version');
  if (message.docString) model.docString = message.docString;
  if ((message.functions ?? []).length > 0) model.functions = plainBytesList(message.functions);
  if ((message.trainingInfo ?? []).length > 0) model.trainingInfo = plainBytesList(message.trainingInfo);
  if ((message.configuration ?? []).length > 0) model.configurations = plainBytesList(message.configuration);
  return model;
}

/** Decodes a standalone TensorProto file (ONNX test_data_set *.pb, bundle reference tensors). */
export function decodeTensor(bytes: Uint8Array): { name: string; tensor: Tensor } {
  checkBytes(bytes, 'decodeTensor');
  const message = decodeMessage<TensorMessage>('tensor', bytes, 'ONNX TensorProto');
  const initializer = decodeTensorMessage(message, 'tensor');
  if (initializer.data === undefined) {
    throw new SamClipError(
      'MODEL_DECODE',
      `Tensor "${initializer.name}" keeps its data in external file "${initializer.external?.location ?? '?'}"; standalone tensor files must hold their data.`,
      { tensor: initializer.name },
    );
  }
  return { name: initializer.name, tensor: { dtype: initializer.dtype, dims: initializer.dims, data: initializer.data } };
}

// ---- encode ----------------------------------------------------------------------------------

function encodeEntries(entries: StringEntry[] | undefined): StringEntryMessage[] | undefined {
  return entries && entries.length > 0 ? entries.map((entry) => ({ key: entry.key, value: entry.value })) : undefined;
}

/** Drops undefined fields so protobufjs (which tests own properties) writes only what is set. */
function compact<T extends object>(message: T): T {
  for (const key of Object.keys(message) as Array<keyof T>) if (message[key] === undefined) delete message[key];
  return message;
}

function nonEmpty<T>(items: T[] | undefined): T[] | undefined {
  return items && items.length > 0 ? items : undefined;
}

function encodeTensorMessage(initializer: Initializer, what: string): TensorMessage {
  const { name, dtype, dims } = initializer;
  const label = name ? `${what} "${name}"` : what;
  if (!(dtype in ONNX_DATA_TYPE) || dtype === ('undefined' as DType)) {
    throw new SamClipError('MODEL_ENCODE', `${label} has unknown dtype "${String(dtype)}".`, { what: label, dtype });
  }
  const message: TensorMessage = {
    name: name || undefined,
    dims: dims.map((dim) => toLongInput(dim, `A dimension of ${label}`) as LongLike),
    dataType: ONNX_DATA_TYPE[dtype],
    docString: initializer.docString || undefined,
    metadataProps: encodeEntries(initializer.metadataProps),
  };
  if (initializer.segment) {
    message.segment = {
      begin: toLongInput(initializer.segment.begin, `The segment begin of ${label}`) as LongLike,
      end: toLongInput(initializer.segment.end, `The segment end of ${label}`) as LongLike,
    };
  }
  if (initializer.data !== undefined) {
    const data = initializer.data;
    let count: number;
    try {
      count = initializer.segment ? initializer.segment.end - initializer.segment.begin : elementCount(dims);
    } catch (error) {
      throw new SamClipError('MODEL_ENCODE', `${label} has an invalid shape [${dims.join(', ')}].`, { what: label }, { cause: error });
    }
    if (!isStorageOf(dtype, data) || data.length !== storageLength(dtype, count)) {
      throw new SamClipError(
        'MODEL_ENCODE',
        `${label} (${dtype} [${dims.join(', ')}]) needs ${storageLength(dtype, count)} values in its dtype's storage array, but its data does not match; build it with createTensor.`,
        { what: label, expected: storageLength(dtype, count), actual: (data as { length?: number }).length },
      );
    }
    if (dtype === 'string') message.stringData = (data as string[]).map((text) => utf8Encoder.encode(text));
    else message.rawData = tensorDataToRawBytes(dtype, data);
  } else if (initializer.external) {
    const ref = initializer.external;
    message.dataLocation = DATA_LOCATION_EXTERNAL;
    message.externalData = [
      { key: 'location', value: ref.location },
      { key: 'offset', value: String(ref.offset) },
      { key: 'length', value: String(ref.length) },
      ...(ref.checksum !== undefined ? [{ key: 'checksum', value: ref.checksum }] : []),
    ];
  } else {
    throw new SamClipError('MODEL_ENCODE', `${label} has neither data nor an external data reference.`, { what: label });
  }
  return compact(message);
}

function encodeShape(shape: Dim[]): ShapeMessage {
  return {
    dim: shape.map((dim): DimensionMessage => {
      if (typeof dim === 'number') return { dimValue: toLongInput(dim, 'A shape dimension') as LongLike };
      if (typeof dim === 'string') return { dimParam: dim };
      return {};
    }),
  };
}

function encodeType(type: TypeInfo): TypeMessage {
  switch (type.kind) {
    case 'tensor':
      return { tensorType: compact({ elemType: ONNX_DATA_TYPE[type.elemType], shape: type.shape ? encodeShape(type.shape) : undefined }) };
    case 'sparse_tensor':
      return {
        sparseTensorType: compact({ elemType: ONNX_DATA_TYPE[type.elemType], shape: type.shape ? encodeShape(type.shape) : undefined }),
      };
    case 'sequence':
      return { sequenceType: { elemType: encodeType(type.elemType) } };
    case 'optional':
      return { optionalType: { elemType: encodeType(type.elemType) } };
    case 'map':
      return { mapType: { keyType: ONNX_DATA_TYPE[type.keyType], valueType: encodeType(type.valueType) } };
  }
}

function encodeValueInfo(info: ValueInfo): ValueInfoMessage {
  return compact({
    name: info.name,
    type: info.type ? encodeType(info.type) : undefined,
    docString: info.docString || undefined,
    metadataProps: encodeEntries(info.metadataProps),
  });
}

function encodeAttribute(attribute: Attribute, nodeLabel: string): AttributeMessage {
  const what = `attribute "${attribute.name}" of ${nodeLabel}`;
  const { value } = attribute;
  const message: AttributeMessage = {
    name: attribute.name,
    type: ATTRIBUTE_TYPE[value.type],
    docString: attribute.docString || undefined,
  };
  if (attribute.refAttrName) {
    // A reference to a function attribute carries no value of its own.
    message.refAttrName = attribute.refAttrName;
    return compact(message);
  }
  switch (value.type) {
    case 'float':
      message.f = value.value;
      break;
    case 'int':
      message.i = toLongInput(value.value, `The ${what}`) as LongLike;
      break;
    case 'string':
      message.s = utf8Encoder.encode(value.value);
      break;
    case 'tensor':
      message.t = encodeTensorMessage(value.value, `the tensor of ${what}`);
      break;
    case 'graph':
      message.g = encodeGraph(value.value);
      break;
    case 'floats':
      message.floats = value.value;
      break;
    case 'ints':
      message.ints = value.value.map((item) => toLongInput(item, `An element of the ${what}`) as LongLike);
      break;
    case 'strings':
      message.strings = value.value.map((text) => utf8Encoder.encode(text));
      break;
    case 'tensors':
      message.tensors = value.value.map((tensor) => encodeTensorMessage(tensor, `a tensor of ${what}`));
      break;
    case 'graphs':
      message.graphs = value.value.map(encodeGraph);
      break;
    case 'sparse_tensor':
      message.sparseTensor = value.value;
      break;
    case 'sparse_tensors':
      message.sparseTensors = value.value;
      break;
    case 'type_proto':
      message.tp = encodeType(value.value);
      break;
    case 'type_protos':
      message.typeProtos = value.value.map(encodeType);
      break;
    default:
      throw new SamClipError('MODEL_ENCODE', `The ${what} has unknown type "${String((value as { type: unknown }).type)}".`, {
        attribute: attribute.name,
      });
  }
  return compact(message);
}

function encodeNode(node: Node, index: number): NodeMessage {
  const label = node.name ? `node "${node.name}" (${node.opType})` : `node #${index} (${node.opType})`;
  return compact({
    input: nonEmpty(node.inputs),
    output: nonEmpty(node.outputs),
    name: node.name || undefined,
    opType: node.opType,
    domain: node.domain || undefined,
    overload: node.overload || undefined,
    attribute: nonEmpty(node.attributes.map((attribute) => encodeAttribute(attribute, label))),
    docString: node.docString || undefined,
    metadataProps: encodeEntries(node.metadataProps),
    deviceConfigurations: nonEmpty(node.deviceConfigurations),
  });
}

function encodeGraph(graph: Graph): GraphMessage {
  return compact({
    node: nonEmpty(graph.nodes.map(encodeNode)),
    name: graph.name || undefined,
    initializer: nonEmpty(graph.initializers.map((initializer) => encodeTensorMessage(initializer, 'initializer'))),
    sparseInitializer: nonEmpty(graph.sparseInitializers),
    docString: graph.docString || undefined,
    input: nonEmpty(graph.inputs.map(encodeValueInfo)),
    output: nonEmpty(graph.outputs.map(encodeValueInfo)),
    valueInfo: nonEmpty(graph.valueInfo.map(encodeValueInfo)),
    quantizationAnnotation: nonEmpty(graph.quantizationAnnotations),
    metadataProps: encodeEntries(graph.metadataProps),
  });
}

function finishMessage(type: 'model' | 'tensor', message: object): Uint8Array {
  const encoded = onnxMessageTypes()[type].encode(message).finish();
  // Node hands out a Buffer; callers get a plain Uint8Array view of the same memory.
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/** Encodes a model; in-memory tensors are written as little-endian raw_data. */
export function encodeModel(model: Model): Uint8Array {
  const message: ModelMessage = compact({
    irVersion: toLongInput(model.irVersion, 'The IR version') as LongLike,
    opsetImport: nonEmpty(
      model.opsetImports.map((opset) => compact({ domain: opset.domain || undefined, version: toLongInput(opset.version, 'An opset version') as LongLike })),
    ),
    producerName: model.producerName || undefined,
    producerVersion: model.producerVersion || undefined,
    domain: model.domain || undefined,
    modelVersion: model.modelVersion !== undefined ? (toLongInput(model.modelVersion, 'The model version') as LongLike) : undefined,
    docString: model.docString || undefined,
    graph: encodeGraph(model.graph),
    metadataProps: encodeEntries(model.metadataProps),
    trainingInfo: nonEmpty(model.trainingInfo),
    functions: nonEmpty(model.functions),
    configuration: nonEmpty(model.configurations),
  });
  return finishMessage('model', message);
}

/** Encodes a standalone TensorProto file with the given name. */
export function encodeTensor(name: string, tensor: Tensor): Uint8Array {
  return finishMessage('tensor', encodeTensorMessage({ name, dtype: tensor.dtype, dims: [...tensor.dims], data: tensor.data }, 'tensor'));
}
