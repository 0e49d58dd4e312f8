import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SamClipError } from '../errors.js';
import { decodeModel, encodeModel } from '../graph/index.js';
import { ROLE_CONTRACTS, checkGraphContract, contractConfigKeys, inferConfigFromModel, validateGraphContract } from './contracts.js';
import type { TensorContract } from './contracts.js';
import { ROLES } from './roles.js';
import { TINY_CONFIG, roleModel } from './test-utils/role-models.js';

function contractError(fn: () => void): SamClipError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SamClipError);
    return error as SamClipError;
  }
  throw new Error('expected a contract failure');
}

describe('role contracts', () => {
  it.each(ROLES)('a %s graph that follows its contract passes after an encode/decode round trip', (role) => {
    const model = decodeModel(encodeModel(roleModel(role)));
    expect(() => validateGraphContract(role, role, model, TINY_CONFIG)).not.toThrow();
  });

  it('names graph, tensor and both shapes when a dim contradicts the config', () => {
    const config = { ...TINY_CONFIG, embedDim: 256, gridSize: 64, backboneDim: 768 };
    const model = roleModel('sam_neck', config, { override: { image_embeddings: { shape: [1, 32, 16, 16] } } });
    const error = contractError(() => validateGraphContract('sam_neck', 'sam_neck', model, config));
    expect(error.code).toBe('CONTRACT');
    expect(error.message).toBe('graph "sam_neck": output "image_embeddings" has shape [1,32,16,16], contract needs [1,256,64,64]');
    expect(error.details).toMatchObject({ graph: 'sam_neck', tensor: 'image_embeddings' });
  });

  it('fails on a dtype mismatch', () => {
    const model = roleModel('text_encoder', TINY_CONFIG, { override: { input_ids: { dtype: 'int32' } } });
    const error = contractError(() => validateGraphContract('text', 'text_encoder', model, TINY_CONFIG));
    expect(error.message).toBe('graph "text": input "input_ids" has dtype int32, contract needs int64');
  });

  it('fails on a rank mismatch', () => {
    const model = roleModel('backbone', TINY_CONFIG, { override: { pixel_values: { shape: [3, 64, 64] } } });
    const error = contractError(() => validateGraphContract('backbone', 'backbone', model, TINY_CONFIG));
    expect(error.message).toBe('graph "backbone": input "pixel_values" has shape [3,64,64], contract needs [1,3,64,64]');
  });

  it('fails on a missing input or output, naming it', () => {
    const noOutput = roleModel('clip_head', TINY_CONFIG, { omit: ['dense_embeds'] });
    expect(contractError(() => validateGraphContract('clip_head', 'clip_head', noOutput, TINY_CONFIG)).message).toMatch(
      /^graph "clip_head": output "dense_embeds" is missing/,
    );
    const noInput = roleModel('prompt_decoder', TINY_CONFIG, { omit: ['has_mask_input'] });
    expect(contractError(() => validateGraphContract('decoder', 'prompt_decoder', noInput, TINY_CONFIG)).details['tensor']).toBe('has_mask_input');
  });

  it('rejects extra inputs but accepts extra outputs', () => {
    const extraIn = roleModel('sam_neck', TINY_CONFIG, {
      extraInputs: [{ name: 'scale', type: { kind: 'tensor', elemType: 'float32', shape: [1] } }],
    });
    const error = contractError(() => validateGraphContract('neck', 'sam_neck', extraIn, TINY_CONFIG));
    expect(error.message).toBe('graph "neck": input "scale" is not part of the sam_neck contract, whose inputs are [backbone_features]');
    const extraOut = roleModel('sam_neck', TINY_CONFIG, {
      extraOutputs: [{ name: 'debug', type: { kind: 'tensor', elemType: 'float32', shape: [1] } }],
    });
    expect(() => validateGraphContract('neck', 'sam_neck', extraOut, TINY_CONFIG)).not.toThrow();
  });

  it('does not count initializers listed among graph inputs (IR < 4) as extra inputs', () => {
    const model = roleModel('sam_neck');
    model.graph.inputs.push({ name: 'weight', type: { kind: 'tensor', elemType: 'float32', shape: [16] } });
    expect(() => validateGraphContract('neck', 'sam_neck', model, TINY_CONFIG)).not.toThrow();
  });

  it('accepts symbolic dims anywhere and unknown output ranks', () => {
    const model = roleModel('backbone', TINY_CONFIG, {
      override: { pixel_values: { shape: ['batch', 3, 'h', null] }, backbone_features: { shape: null } },
    });
    expect(() => validateGraphContract('backbone', 'backbone', model, TINY_CONFIG)).not.toThrow();
    const unknownInput = roleModel('backbone', TINY_CONFIG, { override: { pixel_values: { shape: null } } });
    expect(contractError(() => validateGraphContract('backbone', 'backbone', unknownInput, TINY_CONFIG)).message).toMatch(/input "pixel_values" has unknown rank/);
  });

  it('requires one value per dynamic symbol within a graph', () => {
    const model = roleModel('prompt_decoder', TINY_CONFIG, {
      override: { point_coords: { shape: [1, 3, 2] }, point_labels: { shape: [1, 5] } },
    });
    const error = contractError(() => validateGraphContract('decoder', 'prompt_decoder', model, TINY_CONFIG));
    expect(error.message).toBe('graph "decoder": input "point_labels" has shape [1,5], contract needs [1,N] (N = 3 from input "point_coords")');
  });

  it('allows K = 1 or 4 masks only', () => {
    const single = roleModel('prompt_decoder', TINY_CONFIG, {
      override: { masks: { shape: [1, 1, 'h', 'w'] }, iou_predictions: { shape: [1, 1] }, low_res_masks: { shape: [1, 1, 16, 16] } },
    });
    expect(checkGraphContract('prompt_decoder', single, TINY_CONFIG).issues).toEqual([]);
    const three = roleModel('prompt_decoder', TINY_CONFIG, { override: { iou_predictions: { shape: [1, 3] } } });
    const issues = checkGraphContract('prompt_decoder', three, TINY_CONFIG).issues;
    expect(issues.map((i) => i.tensor)).toContain('iou_predictions');
  });

  it('reports missing config dims as MANIFEST_INVALID', () => {
    const { embedDim: _embedDim, ...config } = TINY_CONFIG;
    const error = contractError(() => validateGraphContract('neck', 'sam_neck', roleModel('sam_neck'), config));
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.message).toContain('embedDim');
  });

  it('infers config dims the graphs fix and refuses contradictions', () => {
    expect(inferConfigFromModel('decoder', 'prompt_decoder', roleModel('prompt_decoder'))).toEqual({ embedDim: 16, gridSize: 4, maskInputSize: 16 });
    const bad = roleModel('sam_encoder', TINY_CONFIG, { override: { image_embeddings: { shape: [1, 16, 4, 5] } } });
    const error = contractError(() => inferConfigFromModel('encoder', 'sam_encoder', bad, {}));
    expect(error.message).toBe('graph "encoder": output "image_embeddings" has shape [1,16,4,5], contract needs [1,16,4,4]');
  });

  it('lists the config keys each role needs', () => {
    expect(contractConfigKeys('text_encoder').sort()).toEqual(['contextLength', 'textEmbedDim']);
    expect(contractConfigKeys('prompt_decoder').sort()).toEqual(['embedDim', 'gridSize', 'maskInputSize']);
  });
});

describe('docs/bundle-format.md', () => {
  it('states the same contracts as ROLE_CONTRACTS', async () => {
    const doc = await readFile(new URL('../../../../docs/bundle-format.md', import.meta.url), 'utf8');
    const rows = doc.split('\n').filter((line) => /^\| `[a-z_]+` \|/.test(line));
    const render = (tensors: readonly TensorContract[]): string =>
      tensors
        .map((t) => `\`${t.name}\` ${t.dtype} [${t.shape.map((d) => (d.kind === 'fixed' ? String(d.value) : d.symbol)).join(',')}]`)
        .join(', ');
    const documented = Object.fromEntries(
      rows.map((row) => {
        const [, role, inputs, outputs] = row.split('|').map((cell) => cell.trim());
        return [role!.replaceAll('`', ''), { inputs, outputs }];
      }),
    );
    const expected = Object.fromEntries(ROLES.map((role) => [role, { inputs: render(ROLE_CONTRACTS[role].inputs), outputs: render(ROLE_CONTRACTS[role].outputs) }]));
    expect(documented).toEqual(expected);
  });
});
