import { describe, expect, it } from 'vitest';
import { SamClipError } from '../errors.js';
import { MANIFEST_SCHEMA_VERSION, migrateManifest, parseManifest } from './manifest.js';
import { buildTestBundle } from './test-utils/build-bundle.js';

function failure(fn: () => unknown): SamClipError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SamClipError);
    return error as SamClipError;
  }
  throw new Error('expected parseManifest to fail');
}

// Tests edit the manifest as free-form JSON, breaking it in ways its type forbids.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseJson = Record<string, any>;

async function manifestJson(kind: 'sam-clip' | 'sam' | 'clip' | 'sam+clip' = 'sam-clip'): Promise<LooseJson> {
  return JSON.parse(JSON.stringify((await buildTestBundle(kind)).manifest)) as LooseJson;
}

describe('samclip.json schema', () => {
  it.each(['sam-clip', 'sam', 'clip', 'sam+clip'] as const)('accepts a valid %s manifest from bytes, text and objects', async (kind) => {
    const json = await manifestJson(kind);
    const text = JSON.stringify(json);
    expect(parseManifest(text).kind).toBe(kind);
    expect(parseManifest(new TextEncoder().encode(text)).graphs).toEqual(json['graphs']);
    expect(parseManifest(json).name).toBe(`test-${kind}`);
  });

  it('allows extra keys under config and provenance only', async () => {
    const json = await manifestJson();
    json['config']['depth'] = 12;
    json['provenance']['exporter'] = { name: 'x', anything: [1, 2] };
    expect(() => parseManifest(json)).not.toThrow();
    json['graphs']['backbone']['variants']['fp32']['colour'] = 'blue';
    const error = failure(() => parseManifest(json));
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.message).toContain('samclip.json /graphs/backbone/variants/fp32 has unknown key "colour"');
  });

  it('names a missing required key and a bad type', async () => {
    const json = await manifestJson();
    delete json['kind'];
    expect(failure(() => parseManifest(json)).message).toContain('lacks required key "kind"');
    const bad = await manifestJson();
    bad['config']['imageSize'] = 'big';
    expect(failure(() => parseManifest(bad)).message).toContain('/config/imageSize must be integer');
    const sha = await manifestJson();
    sha['graphs']['backbone']['variants']['fp32']['sha256'] = 'abc';
    expect(failure(() => parseManifest(sha)).message).toContain('/graphs/backbone/variants/fp32/sha256');
  });

  it('refuses non-JSON and non-objects', () => {
    expect(failure(() => parseManifest('{ nope')).message).toMatch(/^samclip.json is not valid JSON/);
    expect(failure(() => parseManifest('[1]')).code).toBe('MANIFEST_INVALID');
  });

  it('refuses newer schema versions with MANIFEST_VERSION and nonsense versions as invalid', async () => {
    const json = await manifestJson();
    json['schemaVersion'] = MANIFEST_SCHEMA_VERSION + 1;
    const error = failure(() => parseManifest(json));
    expect(error.code).toBe('MANIFEST_VERSION');
    expect(error.message).toContain(`schemaVersion ${MANIFEST_SCHEMA_VERSION + 1}`);
    json['schemaVersion'] = 0;
    expect(failure(() => parseManifest(json)).code).toBe('MANIFEST_INVALID');
    json['schemaVersion'] = '1';
    expect(failure(() => parseManifest(json)).code).toBe('MANIFEST_INVALID');
  });

  it('runs each migration step from an older version up to the current one', async () => {
    const current = await manifestJson();
    const { config, ...rest } = current;
    const v1 = { ...rest, schemaVersion: 1, settings: config };
    const migrated = migrateManifest(v1, { 1: ({ settings, ...m }) => ({ ...m, config: settings }) }, 2);
    expect(migrated['schemaVersion']).toBe(2);
    expect(migrated['config']).toEqual(config);
    expect(() => migrateManifest({ ...v1 }, {}, 2)).toThrow(/no longer supported/);
  });

  it('refuses ".." and absolute file paths', async () => {
    const json = await manifestJson();
    json['graphs']['backbone']['variants']['fp32']['file'] = 'graphs/../../etc/passwd';
    const error = failure(() => parseManifest(json));
    expect(error.message).toBe('graphs.backbone.variants.fp32: file "graphs/../../etc/passwd" contains a ".." segment');
    json['graphs']['backbone']['variants']['fp32']['file'] = '/etc/passwd';
    expect(failure(() => parseManifest(json)).message).toContain('is absolute');
    json['graphs']['backbone']['variants']['fp32']['file'] = 'https://evil.example/x.onnx';
    expect(failure(() => parseManifest(json)).message).toContain('contains ":"');
  });

  it('checks roles against the kind, config dims and kind-specific sections', async () => {
    const missing = await manifestJson();
    delete missing['graphs']['clip_head'];
    expect(failure(() => parseManifest(missing)).message).toBe('a sam-clip bundle needs graphs for roles clip_head; samclip.json has none');
    const foreign = await manifestJson('sam');
    foreign['graphs']['text'] = { role: 'text_encoder', variants: foreign['graphs']['sam_encoder']['variants'] };
    expect(failure(() => parseManifest(foreign)).message).toContain('which a sam bundle does not use');
    const noDim = await manifestJson();
    delete noDim['config']['textEmbedDim'];
    expect(failure(() => parseManifest(noDim)).message).toContain('needs config textEmbedDim');
    const noTokenizer = await manifestJson('clip');
    delete noTokenizer['tokenizer'];
    expect(failure(() => parseManifest(noTokenizer)).message).toContain('needs "tokenizer"');
  });

  it('checks that references and tokenizer agree with the rest of the manifest', async () => {
    const refs = await manifestJson();
    refs['references']['graphs']['ghost'] = refs['references']['graphs']['backbone'];
    expect(failure(() => parseManifest(refs)).message).toBe('references.graphs names graph "ghost", which samclip.json does not define');
    const context = await manifestJson();
    context['tokenizer']['contextLength'] = 64;
    expect(failure(() => parseManifest(context)).message).toContain('tokenizer.contextLength is 64 but config.contextLength is 77');
  });

  it('lets a graph override config for itself (a second backbone resolution)', async () => {
    const json = await manifestJson();
    json['graphs']['backbone_small'] = { ...json['graphs']['backbone'], config: { imageSize: 32, gridSize: 2 } };
    expect(parseManifest(json).graphs['backbone_small']?.config).toEqual({ imageSize: 32, gridSize: 2 });
  });

  it('requires templates to contain the {} placeholder', async () => {
    const json = await manifestJson();
    json['templates'] = { default: ['a photo of a {}.'] };
    expect(() => parseManifest(json)).not.toThrow();
    json['templates'] = { default: ['a photo'] };
    expect(failure(() => parseManifest(json)).message).toContain('/templates/default/0');
  });
});
