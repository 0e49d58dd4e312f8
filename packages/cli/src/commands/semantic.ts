import type { Command } from 'commander';
import { Option } from 'commander';
import { colorizeLabelMap, paletteColor } from '@samclip/core';
import { encodePng } from '@samclip/core/node';
import type { CliContext } from '../context.js';
import { addModelOptions, openModel, parseLabels, readInputImage, round, writeOutputs } from './task-support.js';
import type { ModelOptions } from './task-support.js';

interface SemanticCommandOptions extends ModelOptions {
  labels?: string;
  templates?: string;
  refine: 'none' | 'sam';
  background?: boolean | string;
  out: string;
  overlay?: string;
  json?: boolean;
}

export function registerSemanticCommand(program: Command, context: CliContext): void {
  const command = program
    .command('segment-semantic')
    .alias('semseg')
    .description('zero-shot semantic segmentation: CLIP\'s dense features label every pixel, optionally refined by SAM; writes a colourised label map')
    .argument('<image>', 'JPEG, PNG or WebP file')
    .option('--labels <a,b,c>', 'comma-separated class names')
    .option('--templates <set>', 'prompt template set: single, ensemble or a set named in the bundle')
    .addOption(new Option('--refine <how>', 'none: CLIP\'s upsampled map; sam: each class prompts SAM with its CLIP map and high-scoring points').choices(['none', 'sam']).default('none'))
    .option('--background [name]', 'add a background class (named "background" unless given); its pixels stay black')
    .requiredOption('--out <labels.png>', 'where to write the label map, one palette colour per class')
    .option('--overlay <file.png>', 'also write the label map blended over the image')
    .option('--json', 'print the classes as JSON');
  addModelOptions(command).action(async (imagePath: string, options: SemanticCommandOptions) => {
    const labels = parseLabels(options.labels);
    const image = await readInputImage(imagePath, options);
    const model = await openModel(context, options);
    try {
      const result = await model.segmentSemantic(image, labels, {
        refine: options.refine,
        ...(options.background !== undefined ? { background: options.background } : {}),
        ...(options.templates !== undefined ? { templates: options.templates } : {}),
      });
      // The background class (appended last) is left uncoloured.
      const ignore = options.background !== undefined ? result.labels.length - 1 : undefined;
      const outputs: Array<[string, Uint8Array]> = [[options.out, encodePng(colorizeLabelMap(result.labelMap, ignore === undefined ? {} : { ignore }))]];
      if (options.overlay) outputs.push([options.overlay, encodePng(colorizeLabelMap(result.labelMap, { image, ...(ignore === undefined ? {} : { ignore }) }))]);
      await writeOutputs(outputs);

      const pixels = image.width * image.height;
      const classes = result.classes.map((c) => ({
        label: c.label,
        index: c.index,
        color: c.index === ignore ? null : [...paletteColor(c.index)],
        score: round(c.score, 6),
        area: c.area,
        fraction: round(c.area / pixels, 6),
      }));
      if (options.json) {
        const report = {
          image: { path: imagePath, width: image.width, height: image.height },
          model: model.bundle.name,
          backend: model.backendName,
          refine: options.refine,
          labelMap: options.out,
          overlay: options.overlay ?? null,
          classes,
        };
        context.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const width = Math.max(...classes.map((c) => c.label.length));
        for (const c of classes) {
          const color = c.color ? `rgb(${c.color.join(',')})` : 'uncoloured';
          context.io.stdout.write(`${c.label.padEnd(width)}  score ${c.score.toFixed(4)}  ${(c.fraction * 100).toFixed(1).padStart(5)}% of pixels  ${color}\n`);
        }
        context.io.stdout.write(`label map → ${options.out}${options.overlay ? `, overlay → ${options.overlay}` : ''}\n`);
      }
    } finally {
      await model.dispose();
    }
  });
}
