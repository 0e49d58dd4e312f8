// What handing out a fresh 1800×1200 mask costs, as maskFromLogits does on its WebAssembly path
// (zero the wasm-side mask, then copy it into a new array the caller owns), against a new zeroed
// array with only some rows written. Run it with and without the CLI launcher's glibc setting, under
// which every allocation of 1 MiB or more is a fresh mapping whose pages fault in when first written:
//   MALLOC_MMAP_THRESHOLD_=1048576 node packages/core/bench/mask-alloc.bench.mjs
//   node packages/core/bench/mask-alloc.bench.mjs
// Prints the median of 300 rounds of each; a few recent masks stay alive, as an app holds them.
const WIDTH = 1800;
const HEIGHT = 1200;
const PIXELS = WIDTH * HEIGHT;
const ROUNDS = 300;

const memory = new WebAssembly.Memory({ initial: Math.ceil((PIXELS + 64) / 65536) });
const wasmMask = new Uint8Array(memory.buffer, 64, PIXELS);
for (let i = 0; i < PIXELS; i += 7) wasmMask[i] = 1;

const cases = {
  'zero the wasm mask, copy it out (slice)': () => {
    wasmMask.fill(0);
    return wasmMask.slice();
  },
  'new array, copy in the top half from wasm': () => {
    const mask = new Uint8Array(PIXELS);
    mask.set(wasmMask.subarray(0, PIXELS >> 1));
    return mask;
  },
  'new array, fill a centred box of half the rows': () => {
    const mask = new Uint8Array(PIXELS);
    for (let y = HEIGHT >> 2; y < (3 * HEIGHT) >> 2; y++) mask.fill(1, y * WIDTH + WIDTH / 6, y * WIDTH + (5 * WIDTH) / 6);
    return mask;
  },
};
const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
let alive = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(cases)) {
    const start = performance.now();
    alive.push(run());
    times[name].push(performance.now() - start);
  }
  if (alive.length > 30) alive = [];
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
console.log(`MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_ ?? '(unset)'}, ${WIDTH}×${HEIGHT} mask, median of ${ROUNDS}`);
for (const [name, values] of Object.entries(times)) console.log(`${name.padEnd(48)} ${median(values).toFixed(3)} ms`);
