// Runs one ONNX model on onnxruntime-node with inputs read from serialized ONNX TensorProto files,
// and writes every output as a TensorProto file named <output name>.pb. The Python tests call it
// to hold PyTorch references against onnxruntime (there is no onnxruntime for Debian's Python).
//
//   node tools/node/run_onnx.mjs <model.onnx> <out-dir> <input.pb>...
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import protobuf from 'protobufjs';

const root = protobuf.Root.fromJSON({
  nested: {
    TensorProto: {
      fields: {
        dims: { rule: 'repeated', type: 'int64', id: 1 },
        dataType: { type: 'int32', id: 2 },
        floatData: { rule: 'repeated', type: 'float', id: 4 },
        int32Data: { rule: 'repeated', type: 'int32', id: 5 },
        int64Data: { rule: 'repeated', type: 'int64', id: 7 },
        name: { type: 'string', id: 8 },
        rawData: { type: 'bytes', id: 9 },
        doubleData: { rule: 'repeated', type: 'double', id: 10 },
      },
    },
  },
});
const TensorProto = root.lookupType('TensorProto');

// ONNX TensorProto.DataType → [ort type, typed array]
const TYPES = {
  1: ['float32', Float32Array],
  2: ['uint8', Uint8Array],
  3: ['int8', Int8Array],
  6: ['int32', Int32Array],
  7: ['int64', BigInt64Array],
  9: ['bool', Uint8Array],
  11: ['float64', Float64Array],
};
const ORT_TO_ONNX = Object.fromEntries(Object.entries(TYPES).map(([code, [name]]) => [name, Number(code)]));

function readTensor(path) {
  const msg = TensorProto.decode(readFileSync(path));
  const entry = TYPES[msg.dataType];
  if (!entry) throw new Error(`${path}: TensorProto data type ${msg.dataType} is not supported by this runner`);
  const [type, Ctor] = entry;
  const dims = msg.dims.map((d) => Number(d));
  const count = dims.reduce((a, b) => a * b, 1);
  let data;
  if (msg.rawData && msg.rawData.length > 0) {
    const bytes = new Uint8Array(msg.rawData); // copy: aligned
    data = new Ctor(bytes.buffer, bytes.byteOffset, count);
  } else if (type === 'float32') data = Float32Array.from(msg.floatData);
  else if (type === 'int64') data = BigInt64Array.from(msg.int64Data.map((v) => BigInt(v.toString())));
  else if (type === 'float64') data = Float64Array.from(msg.doubleData);
  else data = Ctor.from(msg.int32Data);
  if (type === 'bool') return { name: msg.name, tensor: new ort.Tensor('bool', Uint8Array.from(data), dims) };
  return { name: msg.name, tensor: new ort.Tensor(type, data, dims) };
}

function writeTensor(path, name, tensor) {
  const dataType = ORT_TO_ONNX[tensor.type];
  if (!dataType) throw new Error(`output ${name}: type ${tensor.type} is not supported by this runner`);
  const data = tensor.data;
  const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const msg = TensorProto.create({ dims: tensor.dims.map((d) => d), dataType, name, rawData });
  writeFileSync(path, TensorProto.encode(msg).finish());
}

const [modelPath, outDir, ...inputPaths] = process.argv.slice(2);
if (!modelPath || !outDir) {
  console.error('usage: node run_onnx.mjs <model.onnx> <out-dir> <input.pb>...');
  process.exit(2);
}
const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 2, interOpNumThreads: 1 });
const feeds = {};
for (const p of inputPaths) {
  const { name, tensor } = readTensor(p);
  feeds[name] = tensor;
}
const results = await session.run(feeds);
mkdirSync(outDir, { recursive: true });
for (const name of session.outputNames) writeTensor(join(outDir, `${name}.pb`), name, results[name]);
console.log(JSON.stringify({ outputs: session.outputNames.map((n) => ({ name: n, dims: results[n].dims })) }));
