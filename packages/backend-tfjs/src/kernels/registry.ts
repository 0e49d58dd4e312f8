/** Kernel lookup by `domain::OpType` (the default domain is written without a prefix, as in Backend.supportedOps). */
import type { Kernel } from './types.js';

export function opKey(domain: string | undefined, opType: string): string {
  return domain && domain !== 'ai.onnx' ? `${domain}::${opType}` : opType;
}

export class KernelRegistry {
  readonly #kernels = new Map<string, Kernel>();

  constructor(kernels: readonly Kernel[] = []) {
    for (const k of kernels) this.register(k);
  }

  register(kernel: Kernel): void {
    this.#kernels.set(opKey(kernel.domain, kernel.opType), kernel);
  }

  get(domain: string | undefined, opType: string): Kernel | undefined {
    return this.#kernels.get(opKey(domain, opType));
  }

  ops(): ReadonlySet<string> {
    return new Set(this.#kernels.keys());
  }
}
