#!/usr/bin/env node
// Counts the multiply-add work of a graph's MatMul/Gemm/Conv nodes (2 FLOPs per multiply-add) from
// the converter's static shapes, so a measured time can be turned into achieved GFLOP/s.
// Run `npm run build` first.
//   node packages/converter/bench/flops.mjs GRAPH.onnx
import { readFileSync } from 'node:fs';
import { decodeModel } from '@samclip/core';
import { constantFoldingPass, deadNodeEliminationPass, inferTypes } from '@samclip/converter';

const [path] = process.argv.slice(2);
if (!path) {
  console.error('usage: flops.mjs GRAPH.onnx');
  process.exit(2);
}
const model = decodeModel(readFileSync(path));
// Folding resolves the Shape arithmetic of PyTorch exports, so every MatMul gets static dims.
constantFoldingPass.run(model, {});
deadNodeEliminationPass.run(model, {});
const types = inferTypes(model.graph);
const dims = (name) => types.get(name)?.shape;
const product = (list) => list.reduce((a, b) => a * b, 1);
const byOp = {};
let unknown = 0;
for (const node of model.graph.nodes) {
  let flops;
  const out = dims(node.outputs[0]);
  if (['MatMul', 'Gemm', 'MatMulInteger'].includes(node.opType)) {
    const a = dims(node.inputs[0]);
    const transA = node.attributes.find((x) => x.name === 'transA')?.value.value;
    const k = a && (node.opType === 'Gemm' && Number(transA) === 1 ? a[0] : a.at(-1));
    if (out?.every((d) => typeof d === 'number') && typeof k === 'number') flops = 2 * product(out) * k;
  } else if (node.opType === 'Conv' || node.opType === 'ConvInteger') {
    const w = dims(node.inputs[1]);
    if (out?.every((d) => typeof d === 'number') && w?.every((d) => typeof d === 'number')) flops = 2 * product(out) * product(w.slice(1));
  } else continue;
  if (flops === undefined) unknown++;
  else byOp[node.opType] = (byOp[node.opType] ?? 0) + flops;
}
const total = Object.values(byOp).reduce((a, b) => a + b, 0);
console.log(JSON.stringify({ graph: path, gflop: Number((total / 1e9).toFixed(1)), byOp: Object.fromEntries(Object.entries(byOp).map(([k, v]) => [k, Number((v / 1e9).toFixed(1))])), nodesWithoutShapes: unknown }));
