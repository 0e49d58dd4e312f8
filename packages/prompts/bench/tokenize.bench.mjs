// Tokenizer throughput: prompts per second for 10,000 template-expanded class names.
// Node 20 cannot run TypeScript directly, so this runs against the built package:
//   npx tsc -p packages/prompts/tsconfig.build.json && node packages/prompts/bench/tokenize.bench.mjs [vocab]
// The first pass fills the tokenizer's word cache and is not counted (cold cache excluded).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClipTokenizer, expandTemplates, resolveTemplates } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const vocabPath = process.argv[2] ?? path.resolve(here, '../../../../shared/data/clip/bpe_simple_vocab_16e6.txt.gz');
const PROMPTS = 10_000;
const RUNS = 9;

const adjectives = ['red', 'small', 'golden', 'striped', 'wild', 'old', 'spotted', 'giant', 'arctic', 'black', 'tiny', 'wooden',
  'electric', 'frozen', 'sea', 'desert', 'mountain', 'royal', 'common', 'great', 'silver', 'northern', 'long-tailed', "king's",
  'blue', 'green', 'yellow', 'brown', 'grey', 'white', 'pink', 'orange', 'purple', 'dwarf', 'pygmy', 'spiny', 'crested', 'horned',
  'ruby-throated', 'painted', 'rusty', 'shiny', 'broken', 'vintage', 'modern'];
// 45 adjectives × 32 nouns = 1,440 class names; × 7 templates, the first 10,000 prompts are used.
const nouns = ['fox', 'retriever', 'tabby cat', 'zebra', 'horse', 'sports car', 'leopard', 'panda', 'hare', 'bear', 'frog', 'chair',
  'guitar', 'yogurt', 'lion', 'lizard', 'goat', 'penguin', 'sparrow', 'white shark', 'kettle', 'owl', 'iguana', 'crème brûlée',
  'tree frog', 'espresso maker', 'fire truck', 'potted plant', 'U-turn sign', 'jack-o\'-lantern', 'hot-air balloon', 'sea lion'];
const classNames = adjectives.flatMap((adjective) => nouns.map((noun) => `${adjective} ${noun}`));
const { texts: allTexts } = expandTemplates(classNames, resolveTemplates('ensemble'));
const texts = allTexts.slice(0, PROMPTS);
if (texts.length !== PROMPTS) throw new Error(`only ${texts.length} prompts generated`);

const tokenizer = ClipTokenizer.fromVocabBytes(readFileSync(vocabPath));
tokenizer.encodeBatch(texts); // warm the word cache

const rates = [];
for (let run = 0; run < RUNS; run++) {
  const start = process.hrtime.bigint();
  tokenizer.encodeBatch(texts);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  rates.push(PROMPTS / seconds);
}
rates.sort((a, b) => a - b);
const median = rates[Math.floor(RUNS / 2)];
console.log(`${PROMPTS} prompts (${classNames.length} class names × ${resolveTemplates('ensemble').length} templates), ${RUNS} warm runs`);
console.log(`median ${Math.round(median).toLocaleString('en-US')} prompts/s (min ${Math.round(rates[0]).toLocaleString('en-US')}, max ${Math.round(rates[RUNS - 1]).toLocaleString('en-US')})`);
