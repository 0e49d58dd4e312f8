/**
 * The samclip web demo: pick an image, hover or click for SAM masks (the prompt decoder runs on
 * every pointer move, on the cached image encoding), drag a box, type class names for CLIP's
 * semantic map, and switch backend and variant at run time.
 */
import { SamClip, colorizeLabelMap, decodeTensor, listBackends, loadBundle, overlayMasks, paletteColor } from '@samclip/core';
import type { BinaryMask, Bundle, ImageEncoding, RgbImage } from '@samclip/core';
import { registerOrtWebBackends } from '@samclip/backend-ort';
import { registerTfjsBackends } from '@samclip/backend-tfjs';

// ---------------------------------------------------------------- engines, served by this origin

/** Wasm threads need SharedArrayBuffer, i.e. a cross-origin isolated page (the dev server sends COOP/COEP). */
const threads = globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency)) : 1;
const assetUrl = (path: string) => new URL(path, document.baseURI).href;
registerOrtWebBackends({
  'ort-wasm': { wasmPaths: assetUrl('ort/'), numThreads: threads },
  'ort-webgpu': { wasmPaths: assetUrl('ort/'), numThreads: threads },
});
registerTfjsBackends({ wasmPaths: assetUrl('tfjs-wasm/') });

// ---------------------------------------------------------------- page elements

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the demo page has no #${id}`);
  return found as T;
}

const ui = {
  bundle: element<HTMLSelectElement>('bundle'),
  backend: element<HTMLSelectElement>('backend'),
  variant: element<HTMLSelectElement>('variant'),
  sample: element<HTMLSelectElement>('sample'),
  file: element<HTMLInputElement>('file'),
  hover: element<HTMLInputElement>('hover'),
  clear: element<HTMLButtonElement>('clear'),
  labels: element<HTMLInputElement>('labels'),
  semantic: element<HTMLButtonElement>('semantic'),
  legend: element<HTMLSpanElement>('legend'),
  stage: element<HTMLDivElement>('stage'),
  canvas: element<HTMLCanvasElement>('canvas'),
  status: element<HTMLParagraphElement>('status'),
  threads: element<HTMLSpanElement>('threads'),
  timings: {
    backend: element<HTMLTableCellElement>('t-backend'),
    load: element<HTMLTableCellElement>('t-load'),
    encode: element<HTMLTableCellElement>('t-encode'),
    decode: element<HTMLTableCellElement>('t-decode'),
    semantic: element<HTMLTableCellElement>('t-semantic'),
    mask: element<HTMLTableCellElement>('t-mask'),
  },
};

function setStatus(text: string, state: 'busy' | 'ready' | 'error' = 'busy'): void {
  ui.status.textContent = text;
  ui.status.className = state;
  ui.status.dataset['state'] = state;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

// ---------------------------------------------------------------- state

interface Point {
  x: number;
  y: number;
  label: 'foreground' | 'background';
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const state = {
  bundle: undefined as Bundle | undefined,
  model: undefined as SamClip | undefined,
  image: undefined as RgbImage | undefined,
  encoding: undefined as ImageEncoding | undefined,
  points: [] as Point[],
  box: undefined as Box | undefined,
  hoverPoint: undefined as Point | undefined,
  mask: undefined as BinaryMask | undefined,
  semantic: undefined as RgbImage | undefined,
  dragStart: undefined as { x: number; y: number } | undefined,
  dragBox: undefined as Box | undefined,
};

// ---------------------------------------------------------------- drawing

function drawRgb(image: RgbImage): void {
  const { canvas } = ui;
  if (canvas.width !== image.width || canvas.height !== image.height) {
    canvas.width = image.width;
    canvas.height = image.height;
  }
  const rgba = new ImageData(image.width, image.height);
  for (let i = 0, j = 0; i < image.data.length; i += 3, j += 4) {
    rgba.data[j] = image.data[i]!;
    rgba.data[j + 1] = image.data[i + 1]!;
    rgba.data[j + 2] = image.data[i + 2]!;
    rgba.data[j + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(rgba, 0, 0);
}

/** Image, then the semantic map or the current mask, then the prompts on top. */
function render(): void {
  const image = state.image;
  if (!image) return;
  const base = state.semantic ?? (state.mask ? overlayMasks(image, [state.mask], { alpha: 0.55 }) : image);
  drawRgb(base);
  const context = ui.canvas.getContext('2d')!;
  const radius = Math.max(2, Math.round(Math.max(image.width, image.height) / 120));
  context.lineWidth = Math.max(1, radius / 2);
  for (const point of state.points) {
    context.beginPath();
    context.arc(point.x, point.y, radius, 0, Math.PI * 2);
    context.fillStyle = point.label === 'foreground' ? '#22c55e' : '#ef4444';
    context.fill();
    context.strokeStyle = '#fff';
    context.stroke();
  }
  const box = state.dragBox ?? state.box;
  if (box) {
    context.strokeStyle = '#facc15';
    context.strokeRect(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0);
  }
}

function maskPixels(mask: BinaryMask | undefined): number {
  let count = 0;
  if (mask) for (const value of mask.data) count += value;
  return count;
}

// ---------------------------------------------------------------- model and image

async function loadModel(): Promise<void> {
  const bundle = state.bundle;
  if (!bundle) return;
  setStatus(`loading ${ui.variant.value} on ${ui.backend.value}…`);
  await state.model?.dispose();
  state.model = undefined;
  state.encoding = undefined;
  const [model, loadMs] = await timed(() => SamClip.load(bundle, { backend: ui.backend.value, variant: ui.variant.value }));
  state.model = model;
  ui.timings.backend.textContent = model.backendName + (model.fallbacks.length > 0 ? ` (passed over: ${model.fallbacks.map((f) => `${f.name}: ${f.reason}`).join('; ')})` : '');
  ui.timings.load.textContent = ms(loadMs);
  ui.threads.textContent = globalThis.crossOriginIsolated ? `${threads} (cross-origin isolated)` : '1 (page not cross-origin isolated)';
  await encodeImage();
}

async function encodeImage(): Promise<void> {
  const { model, image } = state;
  if (!model || !image) return;
  setStatus('encoding the image…');
  // Hovering asks for a mask at once: the work every prompt on this image shares is done here.
  const [encoding, encodeMs] = await timed(() => model.encode(image, model.kind === 'clip' ? {} : { prepare: 'segment' }));
  state.encoding = encoding;
  ui.timings.encode.textContent = ms(encodeMs);
  await refresh();
}

/** Latest-wins decoding: a pointer move while the decoder runs replaces the pending prompt. */
let decoding = false;
let pending = false;

async function decode(): Promise<void> {
  if (decoding) {
    pending = true;
    return;
  }
  decoding = true;
  try {
    do {
      pending = false;
      await decodeOnce();
    } while (pending);
  } finally {
    decoding = false;
  }
}

async function decodeOnce(): Promise<void> {
  const { model, encoding } = state;
  if (!model || !encoding) return;
  const points = state.points.length > 0 || state.box ? state.points : state.hoverPoint ? [state.hoverPoint] : [];
  if (points.length === 0 && !state.box) {
    state.mask = undefined;
    ui.timings.mask.textContent = '—';
    render();
    return;
  }
  const prompt = state.box ? { points, box: state.box } : { points };
  // One clear prompt (a point or a box) is ambiguous: take the best of SAM's three proposals.
  const multimask = points.length + (state.box ? 1 : 0) === 1;
  // Only the best mask is drawn and no prompt is refined with low-res logits: skipping them lets the
  // decoder upsample only the tokens over the image.
  const [result, decodeMs] = await timed(() => model.segment(encoding, prompt, { multimask, bestOnly: true, lowResLogits: false }));
  state.mask = result.masks[result.best];
  state.semantic = undefined;
  ui.timings.decode.textContent = ms(decodeMs);
  ui.timings.mask.textContent = String(maskPixels(state.mask));
  ui.canvas.dataset['maskPixels'] = String(maskPixels(state.mask));
  render();
}

async function refresh(): Promise<void> {
  if (state.semantic && ui.labels.value.trim()) await runSemantic();
  else await decode();
  setStatus(`ready: ${state.model?.backendName ?? ''} ${ui.variant.value}`, 'ready');
}

async function runSemantic(): Promise<void> {
  const { model, encoding, image } = state;
  if (!model || !encoding || !image) return;
  const labels = ui.labels.value
    .split(',')
    .map((label) => label.trim())
    .filter(Boolean);
  if (labels.length === 0) return;
  setStatus('segmenting classes…');
  const [result, semanticMs] = await timed(() => model.segmentSemantic(encoding, labels));
  state.semantic = colorizeLabelMap(result.labelMap, { image, alpha: 0.6 });
  ui.timings.semantic.textContent = ms(semanticMs);
  ui.legend.replaceChildren(
    ...result.classes.map((entry) => {
      const item = document.createElement('span');
      const swatch = document.createElement('i');
      swatch.style.background = `rgb(${paletteColor(entry.index).join(',')})`;
      item.append(swatch, `${entry.label} ${((100 * entry.area) / (image.width * image.height)).toFixed(0)}%`);
      return item;
    }),
  );
  render();
  setStatus(`ready: ${model.backendName} ${ui.variant.value}`, 'ready');
}

async function showImage(image: RgbImage): Promise<void> {
  state.image = image;
  state.points = [];
  state.box = undefined;
  state.mask = undefined;
  state.semantic = undefined;
  render();
  await encodeImage();
}

/** The bundle's own test image (references/tasks.json → image): a uint8 [H, W, 3] tensor. */
async function bundleTestImage(bundle: Bundle): Promise<RgbImage | undefined> {
  if (!bundle.manifest.references?.tasks) return undefined;
  const tasks = (await bundle.references().tasks()) as { image?: { file?: string } };
  if (!tasks.image?.file) return undefined;
  const { tensor } = decodeTensor(await bundle.readFile(tasks.image.file));
  const [height, width] = tensor.dims;
  if (tensor.dtype !== 'uint8' || height === undefined || width === undefined) return undefined;
  return { width, height, data: tensor.data as Uint8Array };
}

/** Any browser-decodable image file → RGB pixels. */
async function decodeImageFile(blob: Blob): Promise<RgbImage> {
  const bitmap = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const data = new Uint8Array(bitmap.width * bitmap.height * 3);
  for (let i = 0, j = 0; j < rgba.length; i += 3, j += 4) {
    data[i] = rgba[j]!;
    data[i + 1] = rgba[j + 1]!;
    data[i + 2] = rgba[j + 2]!;
  }
  return { width: bitmap.width, height: bitmap.height, data };
}

async function fetchJson<T>(url: string): Promise<T | undefined> {
  const response = await fetch(url).catch(() => undefined);
  if (!response?.ok || !(response.headers.get('Content-Type') ?? '').includes('json')) return undefined;
  return (await response.json()) as T;
}

// ---------------------------------------------------------------- selects

function fillSelect(select: HTMLSelectElement, options: ReadonlyArray<readonly [value: string, label: string]>, selected?: string): void {
  select.replaceChildren(
    ...options.map(([value, label]) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      option.selected = value === selected;
      return option;
    }),
  );
}

async function openBundle(name: string): Promise<void> {
  setStatus(`opening bundle ${name}…`);
  const bundle = await loadBundle(assetUrl(`bundles/${name}/samclip.json`));
  state.bundle = bundle;
  const variants = [...new Set(bundle.graphNames().flatMap((graph) => bundle.variants(graph)))];
  fillSelect(ui.variant, variants.map((variant) => [variant, variant] as const), variants.includes('fp32') ? 'fp32' : variants[0]);
  const samples: Array<readonly [string, string]> = [['bundle:test', `${name} test image`]];
  for (const file of (await fetchJson<string[]>(assetUrl('samples/index.json'))) ?? []) samples.push([`samples/${file}`, file]);
  fillSelect(ui.sample, samples, 'bundle:test');
  state.image = await bundleTestImage(bundle);
  await loadModel();
}

async function chooseSample(value: string): Promise<void> {
  if (value === 'bundle:test') {
    const image = state.bundle ? await bundleTestImage(state.bundle) : undefined;
    if (image) await showImage(image);
    return;
  }
  const response = await fetch(assetUrl(value));
  await showImage(await decodeImageFile(await response.blob()));
}

// ---------------------------------------------------------------- pointer and file input

function imagePoint(event: PointerEvent | MouseEvent): { x: number; y: number } {
  const rect = ui.canvas.getBoundingClientRect();
  const image = state.image;
  const width = image?.width ?? 1;
  const height = image?.height ?? 1;
  return {
    x: Math.min(width - 1, Math.max(0, ((event.clientX - rect.left) / rect.width) * width)),
    y: Math.min(height - 1, Math.max(0, ((event.clientY - rect.top) / rect.height) * height)),
  };
}

const DRAG_THRESHOLD = 4;

ui.canvas.addEventListener('contextmenu', (event) => event.preventDefault());

ui.canvas.addEventListener('pointerdown', (event) => {
  ui.canvas.setPointerCapture(event.pointerId);
  state.dragStart = imagePoint(event);
});

ui.canvas.addEventListener('pointermove', (event) => {
  const at = imagePoint(event);
  if (state.dragStart) {
    const rect = ui.canvas.getBoundingClientRect();
    const scale = rect.width / (state.image?.width ?? 1);
    if (Math.hypot(at.x - state.dragStart.x, at.y - state.dragStart.y) * scale >= DRAG_THRESHOLD) {
      state.dragBox = { x0: Math.min(at.x, state.dragStart.x), y0: Math.min(at.y, state.dragStart.y), x1: Math.max(at.x, state.dragStart.x), y1: Math.max(at.y, state.dragStart.y) };
      render();
    }
    return;
  }
  if (!ui.hover.checked || state.points.length > 0 || state.box) return;
  state.hoverPoint = { ...at, label: 'foreground' };
  void decode().catch(showError);
});

ui.canvas.addEventListener('pointerleave', () => {
  if (state.points.length > 0 || state.box || state.dragStart) return;
  state.hoverPoint = undefined;
  void decode().catch(showError);
});

ui.canvas.addEventListener('pointerup', (event) => {
  const start = state.dragStart;
  state.dragStart = undefined;
  if (!start) return;
  if (state.dragBox) {
    state.box = state.dragBox;
    state.dragBox = undefined;
  } else {
    const background = event.shiftKey || event.button === 2;
    state.points.push({ ...imagePoint(event), label: background ? 'background' : 'foreground' });
  }
  state.hoverPoint = undefined;
  state.semantic = undefined;
  void decode().catch(showError);
});

ui.clear.addEventListener('click', () => {
  state.points = [];
  state.box = undefined;
  state.hoverPoint = undefined;
  state.semantic = undefined;
  ui.legend.replaceChildren();
  void decode().catch(showError);
});

ui.semantic.addEventListener('click', () => void runSemantic().catch(showError));
ui.labels.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') void runSemantic().catch(showError);
});

ui.file.addEventListener('change', () => {
  const file = ui.file.files?.[0];
  if (file) void decodeImageFile(file).then(showImage).catch(showError);
});

ui.stage.addEventListener('dragover', (event) => {
  event.preventDefault();
  ui.stage.classList.add('dragging');
});
ui.stage.addEventListener('dragleave', () => ui.stage.classList.remove('dragging'));
ui.stage.addEventListener('drop', (event) => {
  event.preventDefault();
  ui.stage.classList.remove('dragging');
  const file = [...(event.dataTransfer?.files ?? [])].find((candidate) => candidate.type.startsWith('image/'));
  if (file) void decodeImageFile(file).then(showImage).catch(showError);
});

ui.backend.addEventListener('change', () => void loadModel().catch(showError));
ui.variant.addEventListener('change', () => void loadModel().catch(showError));
ui.bundle.addEventListener('change', () => void openBundle(ui.bundle.value).catch(showError));
ui.sample.addEventListener('change', () => void chooseSample(ui.sample.value).catch(showError));

function showError(error: unknown): void {
  console.warn(error);
  setStatus(error instanceof Error ? error.message : String(error), 'error');
}

// ---------------------------------------------------------------- start

async function start(): Promise<void> {
  const backends = listBackends().map((info) => info.name);
  const preferred = backends.includes('ort-wasm') ? 'ort-wasm' : (backends[0] ?? 'auto');
  fillSelect(ui.backend, [['auto', 'auto (best available)'], ...backends.map((name) => [name, name] as const)], preferred);
  const bundles = (await fetchJson<string[]>(assetUrl('bundles/index.json'))) ?? [];
  if (bundles.length === 0) throw new Error('no bundles are served under bundles/ (see docs/demo/README.md)');
  fillSelect(ui.bundle, bundles.map((name) => [name, name] as const), bundles[0]);
  await openBundle(bundles[0]!);
}

void start().catch(showError);
