import { PromptError } from './errors.js';

/** SAM's longest side after resizing (ResizeLongestSide(1024)). */
export const SAM_LONGEST_SIDE = 1024;
/** Side of the prompt decoder's `mask_input` (4 × the 64×64 embedding grid). */
export const SAM_MASK_INPUT_SIZE = 256;

/** Point labels of Meta's SAM decoder contract. */
export const POINT_LABEL = Object.freeze({
  background: 0,
  foreground: 1,
  boxTopLeft: 2,
  boxBottomRight: 3,
  /** The "not a point" entry appended when no box is given. */
  padding: -1,
});

export interface ImageSize {
  width: number;
  height: number;
}

export type PointLabel = 'foreground' | 'background';

/** A click in original image pixels. */
export interface SamPoint {
  x: number;
  y: number;
  label: PointLabel;
}

/** A box in original image pixels: (x0, y0) top-left, (x1, y1) bottom-right. */
export interface SamBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * A previous low-resolution prediction fed back to the decoder (`low_res_masks` of an earlier
 * call): maskInputSize×maskInputSize logits, row-major.
 */
export interface SamMaskPrompt {
  data: Float32Array;
  width: number;
  height: number;
}

export interface SamPrompt {
  points?: readonly SamPoint[];
  box?: SamBox;
  mask?: SamMaskPrompt;
}

export interface SamMultiBoxPrompt {
  points?: readonly SamPoint[];
  boxes: readonly SamBox[];
  mask?: SamMaskPrompt;
}

export interface SamPromptOptions {
  /** Size of the original image the coordinates refer to. */
  imageSize: ImageSize;
  /** Longest side of the model frame (the bundle's config.imageSize); 1024 for SAM. */
  longestSide?: number;
  /** Side of mask_input (the bundle's config.maskInputSize); 256 for SAM. */
  maskInputSize?: number;
  /** Move points and boxes outside the image onto its border instead of failing. */
  clamp?: boolean;
}

/** The prompt inputs of the `prompt_decoder` graph, ready to wrap in tensors. */
export interface SamDecoderInputs {
  /** Shape [1, N, 2]; x,y in the resized (model) frame. */
  pointCoords: Float32Array;
  /** Shape [1, N]; labels 1 fg, 0 bg, 2/3 box corners, −1 padding. */
  pointLabels: Float32Array;
  numPoints: number;
  /** Shape [1, 1, M, M]. */
  maskInput: Float32Array;
  /** Shape [1]; 1 when maskInput holds a mask prompt. */
  hasMaskInput: Float32Array;
  /** Shape [2]; original height, width. */
  origImSize: Float32Array;
}

/**
 * Size of the image after SAM's ResizeLongestSide: scale = L / max(h, w), each side
 * int(side · scale + 0.5). 1800×1200 becomes 1024×683.
 */
export function resizeLongestSide(size: ImageSize, longestSide: number = SAM_LONGEST_SIDE): ImageSize {
  checkImageSize(size);
  checkPositiveInteger(longestSide, 'longestSide');
  const scale = (longestSide * 1.0) / Math.max(size.height, size.width);
  return {
    width: Math.trunc(size.width * scale + 0.5),
    height: Math.trunc(size.height * scale + 0.5),
  };
}

/**
 * Original-pixel x,y pairs to the model frame (ResizeLongestSide.apply_coords): each axis is scaled
 * by new/old of that axis, so the rounding of the resized size carries into the coordinates.
 */
export function toModelCoords(coords: ArrayLike<number>, original: ImageSize, longestSide: number = SAM_LONGEST_SIDE): Float32Array {
  const resized = resizeLongestSide(original, longestSide);
  const scaleX = resized.width / original.width;
  const scaleY = resized.height / original.height;
  if (coords.length % 2 !== 0) {
    throw new PromptError(`Coordinates come in x,y pairs; got ${coords.length} numbers.`, { length: coords.length });
  }
  const out = new Float32Array(coords.length);
  for (let i = 0; i < coords.length; i += 2) {
    out[i] = (coords[i] as number) * scaleX;
    out[i + 1] = (coords[i + 1] as number) * scaleY;
  }
  return out;
}

/**
 * Decoder inputs for one prompt, as Meta's ONNX example builds them: the points, then the box as
 * two corner points labelled 2 and 3; without a box, a padding point (0, 0) labelled −1 is
 * appended. Coordinates are validated and mapped to the model frame.
 */
export function encodeSamPrompt(prompt: SamPrompt, options: SamPromptOptions): SamDecoderInputs {
  const { imageSize } = options;
  checkImageSize(imageSize);
  const longestSide = options.longestSide ?? SAM_LONGEST_SIDE;
  const maskInputSize = options.maskInputSize ?? SAM_MASK_INPUT_SIZE;
  checkPositiveInteger(maskInputSize, 'maskInputSize');
  const clamp = options.clamp ?? false;
  const points = prompt.points ?? [];
  if (!Array.isArray(points)) throw new PromptError('prompt.points must be an array of {x, y, label}.', {});
  if (points.length === 0 && prompt.box === undefined && prompt.mask === undefined) {
    throw new PromptError('A SAM prompt needs at least one point, a box or a mask.', {});
  }

  const coords: number[] = [];
  const labels: number[] = [];
  points.forEach((point, index) => {
    const [x, y] = checkPosition(point, imageSize, clamp, `point ${index}`);
    coords.push(x, y);
    labels.push(pointLabel(point.label, index));
  });
  if (prompt.box !== undefined) {
    const box = checkBox(prompt.box, imageSize, clamp, 'box');
    coords.push(box.x0, box.y0, box.x1, box.y1);
    labels.push(POINT_LABEL.boxTopLeft, POINT_LABEL.boxBottomRight);
  } else {
    coords.push(0, 0);
    labels.push(POINT_LABEL.padding);
  }

  const maskInput = new Float32Array(maskInputSize * maskInputSize);
  const hasMaskInput = new Float32Array(1);
  if (prompt.mask !== undefined) {
    maskInput.set(checkMask(prompt.mask, maskInputSize));
    hasMaskInput[0] = 1;
  }
  return {
    pointCoords: toModelCoords(coords, imageSize, longestSide),
    pointLabels: Float32Array.from(labels),
    numPoints: labels.length,
    maskInput,
    hasMaskInput,
    origImSize: Float32Array.of(imageSize.height, imageSize.width),
  };
}

/**
 * One decoder input set per box (the decoder takes one box per call), each with the same points
 * and mask prompt.
 */
export function encodeSamPromptPerBox(prompt: SamMultiBoxPrompt, options: SamPromptOptions): SamDecoderInputs[] {
  if (!Array.isArray(prompt.boxes) || prompt.boxes.length === 0) {
    throw new PromptError('prompt.boxes must hold at least one box {x0, y0, x1, y1}.', {});
  }
  return prompt.boxes.map((box) => {
    const single: SamPrompt = { box };
    if (prompt.points !== undefined) single.points = prompt.points;
    if (prompt.mask !== undefined) single.mask = prompt.mask;
    return encodeSamPrompt(single, options);
  });
}

function pointLabel(label: unknown, index: number): number {
  if (label === 'foreground') return POINT_LABEL.foreground;
  if (label === 'background') return POINT_LABEL.background;
  throw new PromptError(`Point ${index} has label ${JSON.stringify(label)}; use "foreground" or "background".`, { index, label });
}

function checkImageSize(size: ImageSize): void {
  if (size === null || typeof size !== 'object') {
    throw new PromptError('imageSize must be {width, height} in pixels.', {});
  }
  checkPositiveInteger(size.width, 'imageSize.width');
  checkPositiveInteger(size.height, 'imageSize.height');
}

function checkPositiveInteger(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new PromptError(`${name} must be a positive whole number of pixels, got ${String(value)}.`, { [name]: value });
  }
}

function checkFinite(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new PromptError(`${name} must be a finite number, got ${String(value)}.`, { [name]: value });
  }
  return value;
}

function placeOnAxis(value: number, limit: number, clamp: boolean, name: string, size: ImageSize): number {
  if (value >= 0 && value <= limit) return value;
  if (clamp) return Math.min(Math.max(value, 0), limit);
  throw new PromptError(
    `${name} = ${value} lies outside the ${size.width}×${size.height} image; pass coordinates in original image pixels, or ask for clamping (the clamp option) to move them onto the border.`,
    { [name]: value, width: size.width, height: size.height },
  );
}

function checkPosition(point: SamPoint, size: ImageSize, clamp: boolean, what: string): [number, number] {
  if (point === null || typeof point !== 'object') throw new PromptError(`${what} must be {x, y, label}.`, {});
  const x = checkFinite(point.x, `${what}.x`);
  const y = checkFinite(point.y, `${what}.y`);
  return [placeOnAxis(x, size.width, clamp, `${what}.x`, size), placeOnAxis(y, size.height, clamp, `${what}.y`, size)];
}

function checkBox(box: SamBox, size: ImageSize, clamp: boolean, what: string): SamBox {
  if (box === null || typeof box !== 'object') throw new PromptError(`${what} must be {x0, y0, x1, y1}.`, {});
  const x0 = checkFinite(box.x0, `${what}.x0`);
  const y0 = checkFinite(box.y0, `${what}.y0`);
  const x1 = checkFinite(box.x1, `${what}.x1`);
  const y1 = checkFinite(box.y1, `${what}.y1`);
  if (x1 < x0 || y1 < y0) {
    throw new PromptError(`${what} (${x0}, ${y0})–(${x1}, ${y1}) is inverted; x1 must be ≥ x0 and y1 ≥ y0 (top-left corner first).`, {
      x0,
      y0,
      x1,
      y1,
    });
  }
  return {
    x0: placeOnAxis(x0, size.width, clamp, `${what}.x0`, size),
    y0: placeOnAxis(y0, size.height, clamp, `${what}.y0`, size),
    x1: placeOnAxis(x1, size.width, clamp, `${what}.x1`, size),
    y1: placeOnAxis(y1, size.height, clamp, `${what}.y1`, size),
  };
}

function checkMask(mask: SamMaskPrompt, side: number): Float32Array {
  if (mask === null || typeof mask !== 'object' || !(mask.data instanceof Float32Array)) {
    throw new PromptError('mask must be {data: Float32Array, width, height} holding low-resolution mask logits.', {});
  }
  if (mask.width !== side || mask.height !== side || mask.data.length !== side * side) {
    throw new PromptError(
      `mask is ${mask.width}×${mask.height} with ${mask.data.length} values; the decoder takes ${side}×${side} logits (low_res_masks of an earlier prediction).`,
      { width: mask.width, height: mask.height, length: mask.data.length, side },
    );
  }
  for (let i = 0; i < mask.data.length; i++) {
    if (!Number.isFinite(mask.data[i])) {
      throw new PromptError(`mask value ${i} is ${String(mask.data[i])}; mask logits must be finite.`, { index: i });
    }
  }
  return mask.data;
}
