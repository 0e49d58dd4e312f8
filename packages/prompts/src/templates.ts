import { PromptError } from './errors.js';

/** Where the class name goes in a template, as in CLIP's `template.format(classname)`. */
export const TEMPLATE_PLACEHOLDER = '{}';

/**
 * Built-in template sets. `ensemble` is the 7-template subset of CLIP's 80 ImageNet templates
 * that OpenAI's prompt-engineering notebook found to work best together.
 */
export const BUILTIN_TEMPLATE_SETS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  single: Object.freeze(['a photo of a {}.']),
  ensemble: Object.freeze([
    'itap of a {}.',
    'a bad photo of the {}.',
    'a origami {}.',
    'a photo of the large {}.',
    'a {} in a video game.',
    'art of the {}.',
    'a photo of the small {}.',
  ]),
});

/** A template set by name (bundle sets first, then built-ins) or the templates themselves. */
export type TemplateSpec = string | readonly string[];

/** One class: its name, or several names (synonyms) whose prompts all count for the class. */
export type ClassNames = string | readonly string[];

/**
 * The templates a spec stands for. Names are looked up in the bundle's `templates` (samclip.json)
 * first, so a bundle can redefine a built-in set, then in BUILTIN_TEMPLATE_SETS.
 */
export function resolveTemplates(
  spec: TemplateSpec,
  bundleTemplates: Readonly<Record<string, readonly string[]>> = {},
): readonly string[] {
  if (typeof spec !== 'string') return checkTemplates(spec, 'the given templates');
  const fromBundle = Object.hasOwn(bundleTemplates, spec) ? bundleTemplates[spec] : undefined;
  if (fromBundle !== undefined) return checkTemplates(fromBundle, `bundle template set "${spec}"`);
  const builtin = Object.hasOwn(BUILTIN_TEMPLATE_SETS, spec) ? BUILTIN_TEMPLATE_SETS[spec] : undefined;
  if (builtin !== undefined) return builtin;
  const known = [...new Set([...Object.keys(bundleTemplates), ...Object.keys(BUILTIN_TEMPLATE_SETS)])];
  throw new PromptError(`Unknown template set "${spec}"; use one of ${known.map((n) => `"${n}"`).join(', ')} or pass the templates themselves.`, {
    templates: spec,
    known,
  });
}

function checkTemplates(templates: readonly string[], what: string): readonly string[] {
  if (!Array.isArray(templates) || templates.length === 0) {
    throw new PromptError(`${what} must be a non-empty list of templates such as "a photo of a {}.".`, { templates });
  }
  templates.forEach((template, index) => {
    if (typeof template !== 'string' || !template.includes(TEMPLATE_PLACEHOLDER)) {
      throw new PromptError(`Template ${index} of ${what} (${JSON.stringify(template)}) has no "{}" where the class name goes.`, {
        index,
        template,
      });
    }
  });
  return templates;
}

/** Fills every "{}" of the template with the class name. */
export function fillTemplate(template: string, name: string): string {
  return template.split(TEMPLATE_PLACEHOLDER).join(name);
}

export interface ExpandedPrompts {
  /** One text per (class, name, template), class-major. */
  texts: string[];
  /** For each text, the index of its class. */
  classIndex: Int32Array;
  numClasses: number;
}

/** Every prompt of every class: each name of the class in each template. */
export function expandTemplates(classes: readonly ClassNames[], templates: readonly string[]): ExpandedPrompts {
  checkTemplates(templates, 'the templates');
  if (classes.length === 0) throw new PromptError('At least one class is needed to build prompts.', {});
  const texts: string[] = [];
  const owners: number[] = [];
  classes.forEach((entry, classIndex) => {
    const names = typeof entry === 'string' ? [entry] : entry;
    if (names.length === 0 || names.some((name) => typeof name !== 'string' || name.trim() === '')) {
      throw new PromptError(`Class ${classIndex} needs at least one non-empty name, got ${JSON.stringify(entry)}.`, { classIndex });
    }
    for (const name of names) {
      for (const template of templates) {
        texts.push(fillTemplate(template, name));
        owners.push(classIndex);
      }
    }
  });
  return { texts, classIndex: Int32Array.from(owners), numClasses: classes.length };
}

/** Same clamp as torch.nn.functional.normalize: a zero vector stays zero instead of NaN. */
const NORM_EPS = 1e-12;

/** Row-wise L2 normalisation of a rows×dim matrix, into a new array. */
export function l2NormalizeRows(matrix: Float32Array, dim: number): Float32Array {
  checkMatrix(matrix, dim);
  const out = new Float32Array(matrix.length);
  for (let offset = 0; offset < matrix.length; offset += dim) {
    let sum = 0;
    for (let k = 0; k < dim; k++) sum += (matrix[offset + k] as number) ** 2;
    const scale = 1 / Math.max(Math.sqrt(sum), NORM_EPS);
    for (let k = 0; k < dim; k++) out[offset + k] = (matrix[offset + k] as number) * scale;
  }
  return out;
}

/**
 * Class embeddings from prompt embeddings: each prompt embedding is L2-normalised, the prompts of
 * a class are averaged, and the mean is normalised again (CLIP's zero-shot classifier weights).
 *
 * @param embeddings texts×dim, row t belonging to class classIndex[t]
 * @returns numClasses×dim, unit rows
 */
export function ensembleEmbeddings(
  embeddings: Float32Array,
  dim: number,
  classIndex: ArrayLike<number>,
  numClasses: number,
): Float32Array {
  checkMatrix(embeddings, dim);
  const rows = embeddings.length / dim;
  if (classIndex.length !== rows) {
    throw new PromptError(`${rows} embeddings but ${classIndex.length} class indices; pass one class index per embedding row.`, {
      rows,
      classIndex: classIndex.length,
    });
  }
  const normalized = l2NormalizeRows(embeddings, dim);
  const sums = new Float64Array(numClasses * dim);
  const counts = new Int32Array(numClasses);
  for (let row = 0; row < rows; row++) {
    const owner = classIndex[row] as number;
    if (!Number.isInteger(owner) || owner < 0 || owner >= numClasses) {
      throw new PromptError(`Embedding row ${row} names class ${owner}, outside 0..${numClasses - 1}.`, { row, owner });
    }
    counts[owner] = (counts[owner] as number) + 1;
    for (let k = 0; k < dim; k++) sums[owner * dim + k] = (sums[owner * dim + k] as number) + (normalized[row * dim + k] as number);
  }
  const out = new Float32Array(numClasses * dim);
  for (let c = 0; c < numClasses; c++) {
    const count = counts[c] as number;
    if (count === 0) throw new PromptError(`Class ${c} has no prompt embeddings to average.`, { classIndex: c });
    let sum = 0;
    for (let k = 0; k < dim; k++) sum += ((sums[c * dim + k] as number) / count) ** 2;
    const scale = 1 / (count * Math.max(Math.sqrt(sum), NORM_EPS));
    for (let k = 0; k < dim; k++) out[c * dim + k] = (sums[c * dim + k] as number) * scale;
  }
  return out;
}

function checkMatrix(matrix: Float32Array, dim: number): void {
  if (!Number.isInteger(dim) || dim <= 0 || matrix.length % dim !== 0) {
    throw new PromptError(`An embedding matrix of ${matrix.length} values cannot have rows of ${dim}.`, { length: matrix.length, dim });
  }
}
