/**
 * One image's encoder outputs, computed once and shared by every task. The encoder that defines
 * the image runs when the encoding is made; the heads that hang off it (SAM neck, CLIP head, a
 * second CLIP encoder) run on first use and are memoised here, so segment + classify +
 * segmentSemantic on one encoding cost one backbone pass.
 */
import { SamClipError } from '../errors.js';
import type { ImageSize, RgbImage } from '../image/types.js';

export class ImageEncoding {
  /** Content hash of the RGB pixels and their size (the cache key). */
  readonly key: string;
  readonly image: RgbImage;
  readonly originalSize: ImageSize;
  /** The resized image inside the padded SAM input (equals originalSize for bundles without SAM). */
  readonly inputSize: ImageSize;
  readonly #values = new Map<string, Promise<unknown>>();
  readonly #onDispose: ((encoding: ImageEncoding) => void) | undefined;
  #disposed = false;

  constructor(key: string, image: RgbImage, inputSize: ImageSize, onDispose?: (encoding: ImageEncoding) => void) {
    this.key = key;
    this.image = image;
    this.originalSize = { height: image.height, width: image.width };
    this.inputSize = inputSize;
    this.#onDispose = onDispose;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Names of the outputs computed so far (e.g. `backbone`, `sam_neck`, `clip_head`). */
  computed(): string[] {
    return [...this.#values.keys()];
  }

  /** The memoised value `name`, computing it on first request; a failed computation is forgotten so it can be retried. */
  memo<T>(name: string, compute: () => Promise<T>): Promise<T> {
    this.assertLive();
    let value = this.#values.get(name) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      value.catch(() => {
        if (this.#values.get(name) === value) this.#values.delete(name);
      });
      this.#values.set(name, value);
    }
    return value;
  }

  assertLive(): void {
    if (this.#disposed) throw new SamClipError('DISPOSED', 'This ImageEncoding was disposed; call encode(image) again.');
  }

  /** Drops the features and removes the encoding from its model's cache; later use fails with DISPOSED. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#values.clear();
    this.#onDispose?.(this);
  }
}

/** Least-recently-used map of encodings by content key. Eviction only forgets; holders keep theirs. */
export class EncodingCache {
  readonly capacity: number;
  readonly #entries = new Map<string, ImageEncoding>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new SamClipError('INVALID_ARGUMENT', `cacheSize must be a whole number ≥ 0, got ${capacity}.`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): ImageEncoding | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (hit.disposed) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit;
  }

  set(encoding: ImageEncoding): void {
    if (this.capacity === 0) return;
    this.#entries.delete(encoding.key);
    this.#entries.set(encoding.key, encoding);
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  delete(encoding: ImageEncoding): void {
    if (this.#entries.get(encoding.key) === encoding) this.#entries.delete(encoding.key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
