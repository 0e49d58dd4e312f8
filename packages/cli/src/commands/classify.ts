import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addModelOptions, openModel, parseLabels, parseWholeNumber, readInputImage, round } from './task-support.js';
import type { ModelOptions } from './task-support.js';

interface ClassifyCommandOptions extends ModelOptions {
  labels?: string;
  templates?: string;
  topK?: string;
  json?: boolean;
}

export function registerClassifyCommand(program: Command, context: CliContext): void {
  const command = program
    .command('classify')
    .description('zero-shot classification: ranks the labels by softmax over CLIP\'s scaled cosine similarity')
    .argument('<image>', 'JPEG, PNG or WebP file')
    .option('--labels <a,b,c>', 'comma-separated class names')
    .option('--templates <set>', 'prompt template set: single ("a photo of a {}."), ensemble (7 CLIP templates) or a set named in the bundle (default: the bundle\'s default set, else single)')
    .option('--top-k <n>', 'print only the n best labels')
    .option('--json', 'print the result as JSON');
  addModelOptions(command).action(async (imagePath: string, options: ClassifyCommandOptions) => {
    const labels = parseLabels(options.labels);
    const topK = options.topK === undefined ? labels.length : parseWholeNumber(options.topK, '--top-k');
    const image = await readInputImage(imagePath, options);
    const model = await openModel(context, options);
    try {
      const result = await model.classify(image, labels, { topK, ...(options.templates !== undefined ? { templates: options.templates } : {}) });
      if (options.json) {
        const report = {
          image: { path: imagePath, width: image.width, height: image.height },
          model: model.bundle.name,
          backend: model.backendName,
          top: result.top.map((t) => ({ label: t.label, index: t.index, score: round(t.score, 6), logit: round(t.logit, 4) })),
          probabilities: Object.fromEntries(labels.map((label, i) => [label, round(result.probabilities[i]!, 6)])),
        };
        context.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const width = Math.max(...result.top.map((t) => t.label.length));
        for (const t of result.top) context.io.stdout.write(`${t.label.padEnd(width)}  ${(t.score * 100).toFixed(2).padStart(6)}%\n`);
      }
    } finally {
      await model.dispose();
    }
  });
}
