import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SamClipError, createTensor, decodeTensor, encodeTensor, maskStats } from '@samclip/core';
import type { FloatMap } from '@samclip/core';
import { encodeMaskPng } from '@samclip/core/node';
import type { CliContext } from '../context.js';
import { addModelOptions, collect, numberedPath, openModel, parseBox, parsePoint, readInputImage, round, writeOutputs } from './task-support.js';
import type { CliBox, CliPoint, ModelOptions } from './task-support.js';

interface SegmentCommandOptions extends ModelOptions {
  point?: string[];
  box?: string[];
  maskInput?: string;
  multimask?: boolean;
  out: string;
  logitsOut?: string;
  json?: boolean;
}

/** A previous prediction's low-res logits: a TensorProto (.pb) holding M×M float32 values. */
async function readMaskInput(file: string): Promise<FloatMap> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (cause) {
    const missing = (cause as { code?: string }).code === 'ENOENT';
    throw new SamClipError(missing ? 'NOT_FOUND' : 'IO', missing ? `--mask-input file not found: ${file}.` : `Cannot read --mask-input ${file}: ${(cause as Error).message}.`, { path: file }, { cause });
  }
  let tensor;
  try {
    tensor = decodeTensor(bytes).tensor;
  } catch (cause) {
    throw new SamClipError('INVALID_ARGUMENT', `--mask-input ${file} is not a TensorProto of low-res mask logits (write one with segment --logits-out).`, { path: file }, { cause });
  }
  const side = tensor.dims[tensor.dims.length - 1] ?? 0;
  const rows = tensor.dims[tensor.dims.length - 2] ?? 0;
  if (tensor.dtype !== 'float32' || side === 0 || rows !== side || tensor.data.length !== side * side) {
    throw new SamClipError('INVALID_ARGUMENT', `--mask-input ${file} is ${tensor.dtype} ${JSON.stringify(tensor.dims)}; expected float32 [1, 1, M, M] low-res logits.`, { path: file });
  }
  return { width: side, height: side, data: tensor.data as Float32Array };
}

export function registerSegmentCommand(program: Command, context: CliContext): void {
  const command = program
    .command('segment')
    .description('segment an image from point and box prompts (and a previous mask\'s logits); writes the best mask as a PNG, or every mask with --multimask')
    .argument('<image>', 'JPEG, PNG or WebP file')
    .option('--point <x,y[,label]>', 'a click in image pixels; label 1/fg (default) or 0/bg; repeatable', collect)
    .option('--box <x0,y0,x1,y1>', 'a box in image pixels, top-left corner first', collect)
    .option('--mask-input <file>', 'low-res logits of an earlier run (written with --logits-out) to refine')
    .option('--multimask', 'write all three multimask outputs as OUT-0.png, OUT-1.png, OUT-2.png (default: one point gives the best of the three, other prompts the single-mask output)')
    .requiredOption('--out <mask.png>', 'where to write the mask PNG (8-bit, 255 = foreground)')
    .option('--logits-out <file.pb>', 'also write the best mask\'s low-res logits (TensorProto) for a later --mask-input')
    .option('--json', 'print the result as JSON');
  addModelOptions(command).action(async (imagePath: string, options: SegmentCommandOptions) => {
    const points: CliPoint[] = (options.point ?? []).map(parsePoint);
    const boxes: CliBox[] = (options.box ?? []).map(parseBox);
    if (boxes.length > 1) throw new SamClipError('INVALID_ARGUMENT', `got ${boxes.length} --box options; SAM's decoder takes one box per prompt, so run segment once per box.`);
    if (points.length === 0 && boxes.length === 0) throw new SamClipError('INVALID_ARGUMENT', 'segment needs a prompt: give --point x,y and/or --box x0,y0,x1,y1.');
    const mask = options.maskInput === undefined ? undefined : await readMaskInput(options.maskInput);
    const image = await readInputImage(imagePath, options);
    const model = await openModel(context, options);
    try {
      // As SamPredictor advises: a lone point is ambiguous, so ask for the three multimask outputs
      // and keep the best; boxes, several points and mask prompts use the single-mask output.
      const multimask = options.multimask === true || (points.length === 1 && boxes.length === 0 && !mask);
      const result = await model.segment(
        image,
        { ...(points.length > 0 ? { points } : {}), ...(boxes[0] ? { box: boxes[0] } : {}), ...(mask ? { mask } : {}) },
        { multimask },
      );
      const fileFor = (k: number): string | undefined => (options.multimask ? numberedPath(options.out, k) : k === result.best ? options.out : undefined);
      const outputs: Array<[string, Uint8Array]> = [];
      result.masks.forEach((m, k) => {
        const file = fileFor(k);
        if (file) outputs.push([file, encodeMaskPng(m)]);
      });
      const best = result.lowResLogits[result.best]!;
      if (options.logitsOut) outputs.push([options.logitsOut, encodeTensor('mask_input', createTensor('float32', [1, 1, best.height, best.width], best.data))]);
      await writeOutputs(outputs);

      const masks = result.masks.map((m, k) => {
        const stats = maskStats(m);
        return { index: k, iou: round(result.scores[k]!), area: stats.area, bbox: stats.bbox, best: k === result.best, file: fileFor(k) ?? null };
      });
      if (options.json) {
        const report = {
          image: { path: imagePath, width: image.width, height: image.height },
          model: model.bundle.name,
          backend: model.backendName,
          multimask,
          best: result.best,
          masks,
          logits: options.logitsOut ?? null,
        };
        context.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        for (const m of masks) {
          const tags = [m.best && masks.length > 1 ? 'best' : '', m.file ? `→ ${m.file}` : ''].filter((t) => t !== '').join('  ');
          context.io.stdout.write(`mask ${m.index}  IoU ${m.iou.toFixed(4)}  area ${m.area} px${tags ? `  ${tags}` : ''}\n`);
        }
        if (options.logitsOut) context.io.stdout.write(`low-res logits of mask ${result.best} → ${options.logitsOut}\n`);
      }
    } finally {
      await model.dispose();
    }
  });
}
