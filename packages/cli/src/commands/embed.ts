import type { Command } from 'commander';
import { SamClipError } from '@samclip/core';
import type { CliContext } from '../context.js';
import { addModelOptions, collect, openModel, readInputImage, round } from './task-support.js';
import type { ModelOptions } from './task-support.js';

interface EmbedCommandOptions extends ModelOptions {
  text?: string[];
  json?: boolean;
}

interface Embedding {
  source: string;
  kind: 'image' | 'text';
  embedding: number[];
}

export function registerEmbedCommand(program: Command, context: CliContext): void {
  const command = program
    .command('embed')
    .description('print the unit-length CLIP embedding of an image or of texts (the vectors classify compares)')
    .argument('[image]', 'JPEG, PNG or WebP file')
    .option('--text <text>', 'a text to embed instead of an image; repeatable', collect)
    .option('--json', 'print the embeddings as JSON');
  addModelOptions(command).action(async (imagePath: string | undefined, options: EmbedCommandOptions) => {
    const texts = options.text ?? [];
    if ((imagePath === undefined) === (texts.length === 0)) {
      throw new SamClipError('INVALID_ARGUMENT', 'embed takes either an IMAGE or --text "…", not both and not neither.');
    }
    const blank = texts.findIndex((t) => t.trim() === '');
    if (blank >= 0) throw new SamClipError('INVALID_ARGUMENT', `--text ${blank + 1} is empty; give the text to embed.`);
    const image = imagePath === undefined ? undefined : await readInputImage(imagePath, options);
    const model = await openModel(context, options);
    let embeddings: Embedding[];
    try {
      embeddings = image
        ? [{ source: imagePath!, kind: 'image', embedding: Array.from(await model.embedImage(image), (v) => round(v, 7)) }]
        : (await model.embedText(texts)).map((e, i) => ({ source: texts[i]!, kind: 'text', embedding: Array.from(e, (v) => round(v, 7)) }));
      if (options.json) {
        context.io.stdout.write(`${JSON.stringify({ model: model.bundle.name, backend: model.backendName, dim: embeddings[0]!.embedding.length, embeddings }, null, 2)}\n`);
      } else {
        for (const e of embeddings) {
          context.io.stdout.write(`${e.kind} ${JSON.stringify(e.source)} (${e.embedding.length} dims, unit length)\n${e.embedding.join(' ')}\n`);
        }
      }
    } finally {
      await model.dispose();
    }
  });
}
