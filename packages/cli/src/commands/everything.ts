import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { isSamClipError } from '@samclip/core';
import type { EverythingMask } from '@samclip/core';
import type { CliContext } from '../context.js';
import { addModelOptions, openModel, parseFiniteNumber, parseLabels, parseWholeNumber, readInputImage, round, writeOutputs } from './task-support.js';
import type { ModelOptions } from './task-support.js';

interface EverythingCommandOptions extends ModelOptions {
  labels?: string;
  templates?: string;
  pointsPerSide: string;
  predIouThresh: string;
  stabilityScoreThresh: string;
  boxNmsThresh: string;
  minMaskArea: string;
  out: string;
  json?: boolean;
}

/** One record as SAM's amg.py writes with --output-mode coco_rle, plus the CLIP label when asked for. */
export function everythingRecord(mask: EverythingMask, width: number, height: number): Record<string, unknown> {
  return {
    segmentation: mask.rle,
    area: mask.area,
    bbox: mask.bbox,
    predicted_iou: round(mask.predictedIou, 6),
    point_coords: [[round(mask.point.x, 3), round(mask.point.y, 3)]],
    stability_score: round(mask.stabilityScore, 6),
    crop_box: [0, 0, width, height],
    ...(mask.label ? { label: mask.label.label, label_score: round(mask.label.score, 6) } : {}),
  };
}

export function registerEverythingCommand(program: Command, context: CliContext): void {
  const command = program
    .command('segment-everything')
    .alias('everything')
    .description('automatic masks from a grid of point prompts (SAM\'s generator), optionally named by CLIP from the same encoding; writes COCO RLE JSON')
    .argument('<image>', 'JPEG, PNG or WebP file')
    .option('--labels <a,b,c>', 'name each mask with one of these class names')
    .option('--templates <set>', 'prompt template set for --labels: single, ensemble or a set named in the bundle')
    .option('--points-per-side <n>', 'grid points per side', '16')
    .option('--pred-iou-thresh <t>', 'keep masks whose predicted IoU exceeds this', '0.88')
    .option('--stability-score-thresh <t>', 'keep masks whose stability score reaches this', '0.95')
    .option('--box-nms-thresh <t>', 'box IoU above which the lower-scoring mask is dropped', '0.7')
    .option('--min-mask-area <px>', 'drop masks smaller than this', '0')
    .requiredOption('--out <masks.json>', 'where to write the masks (a JSON list of COCO RLE records, as SAM\'s amg.py)')
    .option('--json', 'print a summary as JSON');
  addModelOptions(command).action(async (imagePath: string, options: EverythingCommandOptions) => {
    const labels = options.labels === undefined ? undefined : parseLabels(options.labels);
    const settings = {
      pointsPerSide: parseWholeNumber(options.pointsPerSide, '--points-per-side'),
      predIouThreshold: parseFiniteNumber(options.predIouThresh, '--pred-iou-thresh'),
      stabilityScoreThreshold: parseFiniteNumber(options.stabilityScoreThresh, '--stability-score-thresh'),
      boxNmsThreshold: parseFiniteNumber(options.boxNmsThresh, '--box-nms-thresh'),
      minMaskArea: parseWholeNumber(options.minMaskArea, '--min-mask-area', 0),
    };
    const image = await readInputImage(imagePath, options);
    const model = await openModel(context, options);
    const stderr = context.io.stderr as { write(text: string): unknown; isTTY?: boolean };
    const bar = stderr.isTTY ? new SingleBar({ format: 'segment-everything {bar} {value}/{total} points  {eta_formatted} left  (Ctrl-C cancels)', hideCursor: true, stream: stderr as NodeJS.WriteStream }) : undefined;
    const controller = new AbortController();
    // Once the grid is being decoded, the first Ctrl-C stops between decoder runs (each a fraction
    // of a second) and writes nothing; a second one kills as usual. No handler is installed while
    // the image is encoded: the engine holds the thread for the whole encoder run, so a handler
    // would only run after it, and without one Ctrl-C ends the process at once.
    const onInterrupt = (): void => controller.abort();
    let listening = false;
    let started = false;
    let cancelled = false;
    let masks: EverythingMask[];
    // The encoder is one engine run of seconds to minutes with no progress of its own.
    if (bar) stderr.write('segment-everything: encoding the image (Ctrl-C quits)\n');
    try {
      masks = await model.segmentEverything(image, {
        ...settings,
        ...(labels ? { labels } : {}),
        ...(options.templates !== undefined ? { templates: options.templates } : {}),
        signal: controller.signal,
        onProgress: (done, total) => {
          if (!listening) {
            process.once('SIGINT', onInterrupt);
            listening = true;
          }
          if (!bar) return;
          if (!started) {
            bar.start(total, 0);
            started = true;
          }
          bar.update(done);
        },
      });
    } catch (error) {
      if (isSamClipError(error, 'CANCELLED')) {
        cancelled = true;
        bar?.stop();
        context.io.stderr.write(`samclip: segment-everything cancelled; nothing was written to ${options.out}.\n`);
        context.setExitCode(130);
        return;
      }
      throw error;
    } finally {
      bar?.stop();
      process.removeListener('SIGINT', onInterrupt);
      // A cancelled encode leaves its engine run going: releasing the session under it is not
      // safe, and the process is about to end anyway.
      if (!cancelled) await model.dispose();
    }
    const records = masks.map((m) => everythingRecord(m, image.width, image.height));
    await writeOutputs([[options.out, `${JSON.stringify(records)}\n`]]);
    if (options.json) {
      const report = {
        image: { path: imagePath, width: image.width, height: image.height },
        model: model.bundle.name,
        backend: model.backendName,
        settings,
        masks: masks.length,
        out: options.out,
        labels: labels ? Object.fromEntries(labels.map((l) => [l, masks.filter((m) => m.label?.label === l).length])) : null,
      };
      context.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const named = labels ? ` (${labels.map((l) => `${masks.filter((m) => m.label?.label === l).length} ${l}`).join(', ')})` : '';
      context.io.stdout.write(`${masks.length} masks${named} → ${options.out}\n`);
    }
  });
}
