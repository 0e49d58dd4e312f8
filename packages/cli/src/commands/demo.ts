import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { SamClipError, colorizeLabelMap, overlayMasks } from '@samclip/core';
import type { RgbImage, SamClip } from '@samclip/core';
import { encodePng } from '@samclip/core/node';
import type { CliContext } from '../context.js';
import { everythingRecord } from './everything.js';
import { addModelOptions, defaultModelLocation, openModel, readBundleTestImage, readInputImage, round, writeOutputs } from './task-support.js';
import type { CliBox, CliPoint, ModelOptions } from './task-support.js';

interface DemoCommandOptions extends ModelOptions {
  out: string;
  image?: string;
  json?: boolean;
}

/** The prompts and labels of a bundle's references/tasks.json, which the exporter checked against PyTorch. */
interface StoredTasks {
  segment?: Array<{ name: string; points: Array<[number, number]> | null; labels: number[] | null; box: [number, number, number, number] | null; maskInput: string | null }>;
  classify?: { labels: string[] };
}

interface DemoPrompts {
  point: CliPoint[];
  box: CliBox;
  labels: string[];
}

/** Labels used when the bundle stores none: everyday scene classes. */
const FALLBACK_LABELS = ['a cat', 'a dog', 'a car', 'a tree', 'the sky', 'grass'];

async function readStoredTasks(bundleDir: string | undefined): Promise<StoredTasks> {
  const file = bundleDir && path.join(bundleDir, 'references', 'tasks.json');
  if (!file || !existsSync(file)) return {};
  return JSON.parse(await readFile(file, 'utf8')) as StoredTasks;
}

/** The stored point and box prompts when they fit the image, else the centre and the middle half. */
function demoPrompts(tasks: StoredTasks, image: RgbImage): DemoPrompts {
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < image.width && y < image.height;
  const pointCase = tasks.segment?.find((c) => c.points && !c.box && !c.maskInput && c.points.every(([x, y]) => inside(x, y)));
  const boxCase = tasks.segment?.find((c) => c.box && !c.maskInput && inside(c.box[0], c.box[1]) && inside(c.box[2] - 1, c.box[3] - 1));
  const point: CliPoint[] = pointCase?.points
    ? pointCase.points.map(([x, y], i) => ({ x, y, label: pointCase.labels?.[i] === 0 ? 'background' : 'foreground' }))
    : [{ x: image.width / 2, y: image.height / 2, label: 'foreground' }];
  const box: CliBox = boxCase?.box
    ? { x0: boxCase.box[0], y0: boxCase.box[1], x1: boxCase.box[2], y1: boxCase.box[3] }
    : { x0: image.width / 4, y0: image.height / 4, x1: (image.width * 3) / 4, y1: (image.height * 3) / 4 };
  const labels = tasks.classify?.labels && tasks.classify.labels.length > 0 ? tasks.classify.labels : FALLBACK_LABELS;
  return { point, box, labels };
}

/** Paints the prompts onto an overlay: a white-ringed dot per point (green foreground, red background), a white box outline. */
function drawPrompts(image: RgbImage, points: readonly CliPoint[], box?: CliBox): RgbImage {
  const out = Uint8Array.from(image.data);
  const paint = (x: number, y: number, rgb: readonly [number, number, number]) => {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= image.width || py >= image.height) return;
    out.set(rgb, (py * image.width + px) * 3);
  };
  if (box) {
    for (let x = box.x0; x <= box.x1; x++) {
      paint(x, box.y0, [255, 255, 255]);
      paint(x, box.y1, [255, 255, 255]);
    }
    for (let y = box.y0; y <= box.y1; y++) {
      paint(box.x0, y, [255, 255, 255]);
      paint(box.x1, y, [255, 255, 255]);
    }
  }
  for (const p of points) {
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) paint(p.x + dx, p.y + dy, [255, 255, 255]);
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) paint(p.x + dx, p.y + dy, p.label === 'foreground' ? [0, 200, 0] : [220, 0, 0]);
  }
  return { width: image.width, height: image.height, data: out };
}

interface Stage {
  stage: string;
  ms: number;
}

async function timed<T>(stages: Stage[], stage: string, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await run();
  stages.push({ stage, ms: round(performance.now() - start, 1) });
  return value;
}

async function runDemo(model: SamClip, image: RgbImage, prompts: DemoPrompts, stages: Stage[], out: string) {
  const encoding = await timed(stages, `encode (${model.kind === 'sam-clip' ? 'shared backbone' : 'image encoder'})`, () => model.encode(image));
  const pointResult = await timed(stages, 'segment: point', () => model.segment(encoding, { points: prompts.point }, { multimask: prompts.point.length === 1 }));
  const boxResult = await timed(stages, 'segment: box', () => model.segment(encoding, { box: prompts.box }, { multimask: false }));
  const classified = await timed(stages, 'classify', () => model.classify(encoding, prompts.labels));
  const semantic = await timed(stages, 'segment-semantic', () => model.segmentSemantic(encoding, prompts.labels, { background: true }));
  const refined = await timed(stages, 'segment-semantic --refine sam', () => model.segmentSemantic(encoding, prompts.labels, { background: true, refine: 'sam' }));
  const everything = await timed(stages, 'segment-everything --labels', () => model.segmentEverything(encoding, { labels: prompts.labels, returnMasks: true }));
  const runCounts = model.runCounts();
  encoding.dispose();

  const background = semantic.labels.length - 1;
  const file = (name: string) => path.join(out, name);
  const outputs: Array<[string, Uint8Array | string]> = [
    [file('image.png'), encodePng(image)],
    [file('segment-point.png'), encodePng(drawPrompts(overlayMasks(image, [pointResult.masks[pointResult.best]!]), prompts.point))],
    [file('segment-box.png'), encodePng(drawPrompts(overlayMasks(image, [boxResult.masks[boxResult.best]!]), [], prompts.box))],
    [file('semantic.png'), encodePng(colorizeLabelMap(semantic.labelMap, { image, ignore: background }))],
    [file('semantic-sam.png'), encodePng(colorizeLabelMap(refined.labelMap, { image, ignore: background }))],
    [file('everything.png'), encodePng(overlayMasks(image, everything.map((m) => m.mask!)))],
    [file('everything.json'), `${JSON.stringify(everything.map((m) => everythingRecord(m, image.width, image.height)))}\n`],
  ];
  const classes = (result: typeof semantic) =>
    result.classes.map((c) => ({ label: c.label, score: round(c.score, 6), fraction: round(c.area / (image.width * image.height), 6) }));
  const results = {
    segmentPoint: { points: prompts.point, iou: pointResult.scores.map((s) => round(s)), best: pointResult.best, file: 'segment-point.png' },
    segmentBox: { box: prompts.box, iou: boxResult.scores.map((s) => round(s)), file: 'segment-box.png' },
    classify: classified.top.map((t) => ({ label: t.label, score: round(t.score, 6) })),
    semantic: { classes: classes(semantic), file: 'semantic.png' },
    semanticSam: { classes: classes(refined), file: 'semantic-sam.png' },
    everything: {
      masks: everything.length,
      labels: Object.fromEntries(prompts.labels.map((l) => [l, everything.filter((m) => m.label?.label === l).length])),
      files: ['everything.png', 'everything.json'],
    },
  };
  return { outputs, results, runCounts };
}

export function registerDemoCommand(program: Command, context: CliContext): void {
  const command = program
    .command('demo')
    .description('run every task (segment, classify, semantic segmentation with and without SAM, segment everything) on one image from one encoding; writes overlays and a JSON summary')
    .option('--out <dir>', 'directory for the overlays and summary.json', 'samclip-demo')
    .option('--image <file>', 'image to use (default: the test image stored in the bundle\'s references/tasks.json)')
    .option('--json', 'print the summary as JSON');
  addModelOptions(command).action(async (options: DemoCommandOptions) => {
    const location = options.model ?? defaultModelLocation();
    const bundleDir = existsSync(location) ? (statSync(location).isDirectory() ? location : path.dirname(location)) : undefined;
    const image = options.image !== undefined ? await readInputImage(options.image, options) : bundleDir ? await readBundleTestImage(bundleDir) : undefined;
    if (!image) throw new SamClipError('NOT_FOUND', `Bundle ${location} stores no test image (references/tasks.json); pass --image FILE.`, { model: location });
    const prompts = demoPrompts(options.image === undefined ? await readStoredTasks(bundleDir) : {}, image);

    const stages: Stage[] = [];
    const total = performance.now();
    const model = await timed(stages, 'load model', () => openModel(context, { ...options, model: location }));
    let demo;
    try {
      demo = await runDemo(model, image, prompts, stages, options.out);
    } finally {
      await model.dispose();
    }
    const files = [...demo.outputs.map(([file]) => file), path.join(options.out, 'summary.json')];
    const summary = {
      model: { name: model.bundle.name, kind: model.kind, location, variants: model.variants() },
      backend: model.backendName,
      fallbacks: model.fallbacks,
      image: { source: options.image ?? path.join(location, 'references', 'tasks.json'), width: image.width, height: image.height },
      labels: prompts.labels,
      timings: stages,
      totalMs: round(performance.now() - total, 1),
      graphRuns: demo.runCounts,
      results: demo.results,
      files: files.map((f) => path.basename(f)),
    };
    await writeOutputs([...demo.outputs, [path.join(options.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`]]);

    const io = context.io.stdout;
    if (options.json) {
      io.write(`${JSON.stringify({ ...summary, files }, null, 2)}\n`);
      return;
    }
    io.write(`samclip demo: ${model.bundle.name} (${model.kind}) on ${model.backendName}, ${image.width}×${image.height} image\n`);
    for (const s of stages) io.write(`  ${s.stage.padEnd(32)} ${s.ms.toFixed(1).padStart(9)} ms\n`);
    io.write(`  ${'total'.padEnd(32)} ${summary.totalMs.toFixed(1).padStart(9)} ms\n`);
    io.write(`graph runs: ${Object.entries(demo.runCounts).map(([graph, runs]) => `${graph} ${runs}`).join(', ')}\n`);
    io.write(`classify: ${demo.results.classify.map((t) => `${t.label} ${(t.score * 100).toFixed(1)}%`).join(', ')}\n`);
    io.write(`segment-everything: ${demo.results.everything.masks} masks\n`);
    io.write('wrote:\n');
    for (const f of files) io.write(`  ${f}\n`);
  });
}
