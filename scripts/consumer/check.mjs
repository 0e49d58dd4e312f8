/**
 * What every consumer app runs, through the public API only: the fixture bundle's reference image
 * is segmented with its reference point prompt and classified with its reference labels, and both
 * results are held to the PyTorch references stored in the bundle (references/tasks.json).
 * Shared by the Node apps and the Vite app; it imports nothing: each app passes its loaded SamClip,
 * core's decodeTensor and a way to read a bundle file (the task reference tensors are read directly,
 * since a bundle need not list them in samclip.json).
 */

/** Intersection over union of two 0/1 masks of the same size. */
function iou(a, b) {
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x && y) intersection++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : intersection / union;
}

function fail(message) {
  throw new Error(`consumer check failed: ${message}`);
}

/**
 * Runs segment + classify on `model` (a loaded SamClip) and compares with the stored references;
 * throws on any mismatch, returns a summary otherwise. `readFile(path)` resolves to the bytes of a
 * file in the bundle, `decodeTensor` is @samclip/core's.
 */
export async function segmentAndClassify(model, { readFile, decodeTensor }) {
  const tasks = await model.bundle.references().tasks();
  const tensorAt = async (file) => decodeTensor(await readFile(file)).tensor;
  const pixels = await tensorAt(tasks.image.file);
  const image = { width: tasks.image.width, height: tasks.image.height, data: pixels.data };

  const point = tasks.segment.find((c) => c.name === 'point') ?? fail('tasks.json has no "point" segment case');
  const points = point.points.map(([x, y], i) => ({ x, y, label: point.labels[i] === 0 ? 'background' : 'foreground' }));
  const segmentation = await model.segment(image, { points }, { multimask: point.multimask });
  const expected = await tensorAt(point.masks);
  const [count, height, width] = expected.dims;
  if (segmentation.masks.length !== count) fail(`segment returned ${segmentation.masks.length} masks, the reference has ${count}`);
  const maskIoU = segmentation.masks.map((mask, k) => {
    if (mask.width !== width || mask.height !== height) fail(`mask ${k} is ${mask.width}×${mask.height}, the reference ${width}×${height}`);
    return iou(mask.data, expected.data.subarray(k * width * height, (k + 1) * width * height));
  });
  maskIoU.forEach((value, k) => value >= 0.999 || fail(`mask ${k} has IoU ${value} with the reference (needs ≥ 0.999)`));
  segmentation.scores.forEach((score, k) => Math.abs(score - point.iou[k]) <= 1e-3 || fail(`mask ${k} IoU prediction ${score}, reference ${point.iou[k]}`));
  if (segmentation.best !== point.best) fail(`best mask ${segmentation.best}, reference ${point.best}`);

  const reference = tasks.classify ?? fail('tasks.json has no classify case');
  const classification = await model.classify(image, reference.labels, { templates: [reference.template] });
  classification.probabilities.forEach(
    (p, i) => Math.abs(p - reference.probs[i]) <= 1e-4 || fail(`P(${reference.labels[i]}) = ${p}, reference ${reference.probs[i]}`),
  );
  return {
    backend: model.backendName,
    masks: segmentation.masks.length,
    best: segmentation.best,
    minMaskIoU: Math.min(...maskIoU),
    top: classification.top[0]?.label,
    probabilities: classification.probabilities.map((p) => Number(p.toFixed(6))),
  };
}
