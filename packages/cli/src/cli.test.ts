import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendRegistry, MANIFEST_SCHEMA_VERSION, encodeModel, parseManifest } from '@samclip/core';
import type { Backend, BundleReport } from '@samclip/core';
import { fileEntryFor, updateBundle } from '@samclip/core/node';
import { runCli } from './cli.js';
import { writeRoleOnnx } from './test-utils/role-onnx.js';

function sink(): { write(text: string): boolean; text: string } {
  return {
    text: '',
    write(text: string) {
      this.text += text;
      return true;
    },
  };
}

async function cli(argv: string[], registry = new BackendRegistry()): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(argv, { stdout, stderr }, { registry, loadBackends: async () => [] });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function backendWithOps(ops: string[] | undefined): Backend {
  return {
    init: async () => {},
    isSupported: async () => true,
    supportedOps: () => (ops ? new Set(ops) : undefined),
    createSession: async () => {
      throw new Error('not used');
    },
  };
}

describe('samclip CLI', () => {
  let root: string;
  let good: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'samclip-cli-test-'));
    await writeRoleOnnx(join(root, 'encoder.onnx'), 'sam_encoder');
    await writeRoleOnnx(join(root, 'decoder.onnx'), 'prompt_decoder', { point_coords: [1, 'num_points', 2], point_labels: [1, 'num_points'] });
    good = join(root, 'good');
    const result = await cli(['bundle', '--out', good, '--kind', 'sam', '--graph', `sam_encoder=${join(root, 'encoder.onnx')}`, '--graph', `prompt_decoder=${join(root, 'decoder.onnx')}`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote sam bundle "good" to ${good}: sam_encoder (fp32), prompt_decoder (fp32)`);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('bundle infers config from the graphs and records extra config', async () => {
    const out = join(root, 'with-config');
    const result = await cli([
      'bundle', '--out', out, '--kind', 'sam', '--json', '--config', 'note=meta-export', '--config', 'patchSize=16',
      '--graph', `sam_encoder=${join(root, 'encoder.onnx')}`, '--graph', `prompt_decoder=${join(root, 'decoder.onnx')}`,
    ]);
    expect(result.code).toBe(0);
    const manifest = parseManifest(await readFile(join(out, 'samclip.json')));
    expect(manifest.config).toEqual({ note: 'meta-export', patchSize: 16, imageSize: 64, gridSize: 4, embedDim: 16, maskInputSize: 16 });
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(JSON.stringify(manifest)));
  });

  it('bundle fails in one line when the graphs contradict each other', async () => {
    await writeRoleOnnx(join(root, 'decoder-512.onnx'), 'prompt_decoder', { image_embeddings: [1, 512, 4, 4] });
    const result = await cli(['bundle', '--out', join(root, 'bad'), '--kind', 'sam', '--graph', `sam_encoder=${join(root, 'encoder.onnx')}`, '--graph', `prompt_decoder=${join(root, 'decoder-512.onnx')}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('samclip: graph "prompt_decoder": input "image_embeddings" has shape [1,512,4,4], contract needs [1,16,4,4]\n');
    expect(existsSync(join(root, 'bad'))).toBe(false);
  });

  it('bundle reports usage errors in one line', async () => {
    const badKind = await cli(['bundle', '--out', join(root, 'x'), '--kind', 'sam2', '--graph', 'sam_encoder=a.onnx']);
    expect(badKind.code).toBe(1);
    expect(badKind.stderr).toBe("samclip: option '--kind <kind>' argument 'sam2' is invalid. Allowed choices are sam-clip, sam, clip, sam+clip.\n");
    const badGraph = await cli(['bundle', '--out', join(root, 'x'), '--kind', 'sam', '--graph', 'decoder=a.onnx']);
    expect(badGraph.code).toBe(1);
    expect(badGraph.stderr.split('\n')).toHaveLength(2);
    expect(badGraph.stderr).toContain('"decoder" is not a role');
  });

  it('inspect prints graphs, variants, sizes, parameters, opsets and fitting backends', async () => {
    const registry = new BackendRegistry();
    registry.register('fake-full', backendWithOps(['Identity', 'Conv']), 10);
    registry.register('fake-conv', backendWithOps(['Conv']), 5);
    registry.register('fake-silent', backendWithOps(undefined), 1);
    const result = await cli(['inspect', good], registry);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`bundle    good (sam, schema v${MANIFEST_SCHEMA_VERSION})`);
    expect(result.stdout).toContain('  prompt_decoder (role prompt_decoder)');
    expect(result.stdout).toContain('point_coords float32 [1,num_points,2]');
    expect(result.stdout).toMatch(/fp32 {2}graphs\/sam_encoder\.fp32\.onnx {2}fp32 {2}\d+ B {2}16 parameters {2}opsets ai\.onnx 17/);
    expect(result.stdout).toContain('runs on: fake-full; not checked (no op list): fake-silent; cannot run: fake-conv (missing Identity)');

    const json = await cli(['inspect', join(good, 'samclip.json'), '--json'], registry);
    const report = JSON.parse(json.stdout) as BundleReport;
    expect(report.kind).toBe('sam');
    expect(report.graphs.map((g) => [g.name, g.variants[0]?.parameters])).toEqual([['sam_encoder', 16], ['prompt_decoder', 16]]);
    expect(report.graphs[0]?.variants[0]?.backends[1]).toEqual({ name: 'fake-conv', runs: false, missingOps: ['Identity'] });
  });

  it('inspect exits 1 with a one-line INTEGRITY message when a graph file changed', async () => {
    const dir = join(root, 'tampered');
    await cli(['bundle', '--out', dir, '--kind', 'sam', '--graph', `sam_encoder=${join(root, 'encoder.onnx')}`, '--graph', `prompt_decoder=${join(root, 'decoder.onnx')}`]);
    const file = join(dir, 'graphs', 'prompt_decoder.fp32.onnx');
    const bytes = await readFile(file);
    bytes[20] = bytes[20]! ^ 1;
    await writeFile(file, bytes);
    const result = await cli(['inspect', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^samclip: bundle file "graphs\/prompt_decoder\.fp32\.onnx" \(from [^)]+\) has sha256 [0-9a-f]{64}, samclip\.json says [0-9a-f]{64};[^\n]*\n$/);
  });

  it('inspect exits 1 with a one-line CONTRACT message when a graph breaks its contract', async () => {
    const dir = join(root, 'contract');
    await cli(['bundle', '--out', dir, '--kind', 'sam', '--graph', `sam_encoder=${join(root, 'encoder.onnx')}`, '--graph', `prompt_decoder=${join(root, 'decoder.onnx')}`]);
    // Swap in a decoder whose low_res_masks contradict maskInputSize, with a manifest entry that matches its bytes.
    const brokenPath = join(root, 'broken-decoder.onnx');
    await writeRoleOnnx(brokenPath, 'prompt_decoder', { low_res_masks: [1, 4, 32, 32] });
    const bytes = new Uint8Array(await readFile(brokenPath));
    const manifest = parseManifest(await readFile(join(dir, 'samclip.json')));
    const file = 'graphs/prompt_decoder.fp32.onnx';
    manifest.graphs['prompt_decoder']!.variants['fp32'] = { ...(await fileEntryFor(file, bytes)), dtype: 'fp32' };
    await updateBundle(dir, { manifest, files: new Map([[file, bytes]]) });
    const result = await cli(['inspect', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('samclip: graph "prompt_decoder": output "low_res_masks" has shape [1,4,32,32], contract needs [1,K,16,16]\n');
  });

  it('inspect names a missing bundle and a missing argument in one line', async () => {
    const missing = await cli(['inspect', join(root, 'nowhere')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^samclip: bundle \S+nowhere does not exist; pass a bundle directory, its samclip.json or a URL\n$/);
    const noArg = await cli(['inspect']);
    expect(noArg.code).toBe(1);
    expect(noArg.stderr).toBe("samclip: missing required argument 'bundle'\n");
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('inspect');
    expect(help.stdout).toContain('bundle');
  });

  it('the built bin runs as a process and exits non-zero with one line on a broken bundle', async () => {
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
    if (!existsSync(bin)) {
      if (process.env['CI']) throw new Error(`${bin} is missing: build @samclip/cli (npx tsc -p packages/cli/tsconfig.build.json) before the tests`);
      console.warn(`skipping the process test: ${bin} is not built`);
      return;
    }
    const ok = spawnSync(process.execPath, [bin, 'inspect', good], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`bundle    good (sam, schema v${MANIFEST_SCHEMA_VERSION})`);
    const broken = join(root, 'tampered');
    const failed = spawnSync(process.execPath, [bin, 'inspect', broken], { encoding: 'utf8' });
    expect(failed.status).toBe(1);
    expect(failed.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/^samclip: bundle file "graphs\/prompt_decoder\.fp32\.onnx"/);
  });

  it('keeps one-line output for unexpected errors too', async () => {
    const notOnnx = join(root, 'not-onnx.onnx');
    await writeFile(notOnnx, encodeModel({ irVersion: 8, opsetImports: [], metadataProps: [], graph: { name: 'g', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] } }).subarray(0, 3));
    const result = await cli(['bundle', '--out', join(root, 'y'), '--kind', 'sam', '--graph', `sam_encoder=${notOnnx}`, '--graph', `prompt_decoder=${join(root, 'decoder.onnx')}`]);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('not-onnx.onnx');
  });
});
