import { it } from 'vitest';
import { encodeModel, decodeModel } from '@samclip/core';
import { buildModel, floatInit, node, tensorInfo } from '/work/main/packages/converter/src/test-utils/models.js';
import { convertModel } from '/work/main/packages/converter/src/convert-model.js';
it('big', async () => {
  const nodes = []; const inits = [];
  let x = 'x';
  for (let i = 0; i < 12; i++) {
    inits.push(floatInit(`b${i}.fc1`, [768, 3072], i * 2, 0.02), floatInit(`b${i}.fc2`, [3072, 768], i * 2 + 1, 0.02));
    nodes.push(node('MatMul', [x, `b${i}.fc1`], [`h${i}`], [], `/b${i}/fc1/MatMul`), node('Relu', [`h${i}`], [`a${i}`], [], `/b${i}/Relu`), node('MatMul', [`a${i}`, `b${i}.fc2`], [`y${i}`], [], `/b${i}/fc2/MatMul`));
    x = `y${i}`;
  }
  nodes.push(node('Identity', [x], ['out']));
  const bytes = encodeModel(buildModel({ inputs: [tensorInfo('x', 'float32', [1, 4096, 768])], outputs: [tensorInfo('out', 'float32', [1, 4096, 768])], nodes, initializers: inits }));
  console.log('fp32 MB', bytes.length / 1e6);
  for (const [to, target] of [['int8', 'ort-node'], ['int4', 'ort-node'], ['fp16', 'ort-webgpu'], ['int4', 'tfjs']] as const) {
    const t = performance.now();
    const m = decodeModel(bytes);
    convertModel(m, { to, target });
    const out = encodeModel(m);
    console.log(to, target, ((performance.now() - t) / 1000).toFixed(2), 's', (out.length / bytes.length).toFixed(3), 'rss MB', (process.memoryUsage().rss / 1e6).toFixed(0));
  }
});
