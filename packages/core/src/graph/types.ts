/**
 * The typed model graph every samclip package speaks: a faithful, engine-free picture of an ONNX
 * ModelProto. Tensors keep their raw little-endian bytes where the IR allows, so decoding and
 * re-encoding a model never round-trips weights through JavaScript numbers.
 */

/** ONNX TensorProto.DataType values (field numbers are facts of the ONNX IR spec). */
export const ONNX_DATA_TYPE = {
  undefined: 0,
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
  uint4: 21,
  int4: 22,
} as const;

export type DType = Exclude<keyof typeof ONNX_DATA_TYPE, 'undefined'>;

/** Typed-array storage for each dtype; 4-bit types are packed two per byte (low nibble first). */
export interface DTypeStorage {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
  string: string[];
  int4: Uint8Array;
  uint4: Uint8Array;
}

export type TensorData = DTypeStorage[DType];

/** A dense tensor owned by no engine. `data` length equals the element count (half of it, rounded up, for int4/uint4). */
export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly dims: readonly number[];
  readonly data: DTypeStorage[D];
}

/** A weight stored outside the .onnx file (ONNX external data). */
export interface ExternalDataRef {
  /** Path relative to the directory holding the .onnx file, as written in the model. */
  location: string;
  offset: number;
  /** Byte length; when the model omits it, the decoder fills in the dtype's size times the element count. */
  length: number;
  checksum?: string;
}

/** An initializer: a named tensor, possibly still living in an external file. */
export interface Initializer {
  name: string;
  dtype: DType;
  dims: number[];
  /** Present when the bytes are in memory. */
  data?: TensorData;
  /** Present when the bytes live in external data and have not been loaded. */
  external?: ExternalDataRef;
  docString?: string;
  /** TensorProto.segment: this tensor holds elements [begin, end) of a larger, chunked tensor. */
  segment?: { begin: number; end: number };
  metadataProps?: StringEntry[];
}

/** A tensor dimension: a known size, a symbolic name (`"N"`), or unknown (`null`). */
export type Dim = number | string | null;

export interface TensorTypeInfo {
  kind: 'tensor';
  elemType: DType;
  /** Undefined when the rank itself is unknown. */
  shape?: Dim[];
}
export interface SequenceTypeInfo {
  kind: 'sequence';
  elemType: TypeInfo;
}
export interface OptionalTypeInfo {
  kind: 'optional';
  elemType: TypeInfo;
}
export interface MapTypeInfo {
  kind: 'map';
  keyType: DType;
  valueType: TypeInfo;
}
export interface SparseTensorTypeInfo {
  kind: 'sparse_tensor';
  elemType: DType;
  /** Undefined when the rank itself is unknown. */
  shape?: Dim[];
}
export type TypeInfo = TensorTypeInfo | SequenceTypeInfo | OptionalTypeInfo | MapTypeInfo | SparseTensorTypeInfo;

export interface ValueInfo {
  name: string;
  type?: TypeInfo;
  docString?: string;
  metadataProps?: StringEntry[];
}

export type AttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number | bigint }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Initializer }
  | { type: 'graph'; value: Graph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: Array<number | bigint> }
  | { type: 'strings'; value: string[] }
  | { type: 'tensors'; value: Initializer[] }
  | { type: 'graphs'; value: Graph[] }
  | { type: 'type_proto'; value: TypeInfo }
  | { type: 'type_protos'; value: TypeInfo[] }
  /** Sparse tensors stay encoded SparseTensorProto bytes. */
  | { type: 'sparse_tensor'; value: Uint8Array }
  | { type: 'sparse_tensors'; value: Uint8Array[] };

export interface Attribute {
  name: string;
  value: AttributeValue;
  docString?: string;
  /** Set when the attribute refers to a function attribute (`ref_attr_name`). */
  refAttrName?: string;
}

export interface Node {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Attribute[];
  docString?: string;
  /** Function overload this node calls (NodeProto.overload). */
  overload?: string;
  metadataProps?: StringEntry[];
  /** Encoded NodeDeviceConfigurationProto messages, kept opaque. */
  deviceConfigurations?: Uint8Array[];
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
  docString?: string;
  /** Encoded SparseTensorProto initializers, kept opaque. */
  sparseInitializers?: Uint8Array[];
  /** Encoded TensorAnnotation messages (quantization annotations), kept opaque. */
  quantizationAnnotations?: Uint8Array[];
  metadataProps?: StringEntry[];
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface StringEntry {
  key: string;
  value: string;
}

export interface Model {
  irVersion: number;
  opsetImports: OpsetImport[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  metadataProps: StringEntry[];
  graph: Graph;
  /** Model-local functions, kept opaque so they survive a decode/encode round trip. */
  functions?: Uint8Array[];
  /** Encoded TrainingInfoProto messages, kept opaque. */
  trainingInfo?: Uint8Array[];
  /** Encoded DeviceConfigurationProto messages (ModelProto.configuration), kept opaque. */
  configurations?: Uint8Array[];
}
