/** An InferenceSession executing a compiled plan on the active tfjs engine. */
import * as tf from '@tensorflow/tfjs-core';
import { SamClipError } from '@samclip/core';
import type { DeviceTensor, Feeds, Fetches, InferenceSession, Node, SessionValue, Tensor, ValueMetadata } from '@samclip/core';
import type { ExecutionPlan } from './compile/plan.js';
import { executeNode } from './kernels/execute.js';
import type { ExecutionEnv } from './kernels/execute.js';
import type { Kernel } from './kernels/types.js';
import { HostReadPending, disposeValue, downloadDevice, hostValue, valueDevice } from './runtime/value.js';
import type { Value } from './runtime/value.js';

/** An output left on the tfjs engine; feeding it to another tfjs session avoids a copy. */
export class TfjsDeviceTensor implements DeviceTensor {
  readonly location = 'device' as const;
  readonly dims: readonly number[];

  constructor(
    readonly tensor: tf.Tensor,
    readonly dtype: Tensor['dtype'],
  ) {
    this.dims = tensor.shape;
  }

  async download(): Promise<Tensor> {
    if (this.tensor.isDisposed) throw new SamClipError('DISPOSED', 'This device tensor was disposed; download it before calling dispose().', {});
    await this.tensor.data();
    return downloadDevice(this.tensor, this.dtype);
  }

  dispose(): void {
    this.tensor.dispose();
  }
}

/** Runs a node; when it needs a device value on the host first (HostReadPending), downloads it and runs the node again. */
async function executeWithHostReads(kernel: Kernel, node: Node, inputs: ReadonlyArray<Value | undefined>, env: ExecutionEnv): Promise<Array<Value | undefined>> {
  // Each retry downloads one more input, so a node retries at most once per input.
  for (let attempt = 0; ; attempt++) {
    try {
      return executeNode(kernel, node, inputs, env);
    } catch (error) {
      if (!(error instanceof HostReadPending) || attempt >= inputs.length) throw error;
      await error.download();
    }
  }
}

function isDeviceTensor(v: SessionValue): v is DeviceTensor {
  return (v as DeviceTensor).location === 'device';
}

export class TfjsSession implements InferenceSession {
  readonly inputs: readonly ValueMetadata[];
  readonly outputs: readonly ValueMetadata[];
  #plan: ExecutionPlan | undefined;

  constructor(
    plan: ExecutionPlan,
    private readonly activate: () => Promise<void>,
    private readonly keepOnDevice: ReadonlySet<string>,
  ) {
    this.#plan = plan;
    this.inputs = plan.inputs.map((i) => ({ name: i.name, dtype: i.dtype, dims: i.pinned ?? i.declared }));
    this.outputs = plan.outputs.map((o) => ({ name: o.name, ...(o.dtype ? { dtype: o.dtype } : {}), ...(o.dims ? { dims: o.dims } : {}) }));
  }

  /** What compilation did, for diagnostics and tests. */
  get stats(): ExecutionPlan['stats'] & { steps: number; constants: number } {
    const plan = this.#live();
    return { ...plan.stats, steps: plan.steps.length, constants: plan.constants.size };
  }

  #live(): ExecutionPlan {
    if (!this.#plan) throw new SamClipError('DISPOSED', 'This TensorFlow.js session was disposed; create a new one.', {});
    return this.#plan;
  }

  async run(feeds: Feeds, outputNames?: readonly string[]): Promise<Fetches> {
    const plan = this.#live();
    await this.activate();
    const wanted = outputNames ?? plan.outputs.map((o) => o.name);
    for (const name of wanted) {
      if (!plan.outputs.some((o) => o.name === name)) {
        throw new SamClipError('NOT_FOUND', `The graph has no output "${name}"; its outputs are ${plan.outputs.map((o) => o.name).join(', ')}.`, { output: name });
      }
    }
    const values = new Map<string, Value>(plan.constants);
    const borrowed = new Set<Value>();
    for (const input of plan.inputs) {
      const feed = feeds[input.name];
      if (!feed) throw new SamClipError('INVALID_ARGUMENT', `Missing feed for graph input "${input.name}".`, { input: input.name });
      if (feed.dtype !== input.dtype) {
        throw new SamClipError('INVALID_ARGUMENT', `Input "${input.name}" must be ${input.dtype}, got ${feed.dtype}.`, { input: input.name, expected: input.dtype, actual: feed.dtype });
      }
      if (input.pinned && (input.pinned.length !== feed.dims.length || input.pinned.some((d, i) => d !== feed.dims[i]))) {
        throw new SamClipError('SHAPE', `Input "${input.name}" must have shape [${input.pinned.join(', ')}] (this session was compiled for it), got [${feed.dims.join(', ')}].`, { input: input.name, expected: input.pinned, actual: feed.dims });
      }
      let value: Value;
      if (isDeviceTensor(feed)) {
        if (!(feed instanceof TfjsDeviceTensor)) {
          throw new SamClipError('INVALID_ARGUMENT', `Input "${input.name}" is a device tensor of another engine; download() it first.`, { input: input.name });
        }
        value = { dtype: feed.dtype, dims: feed.dims, device: feed.tensor };
        borrowed.add(value);
      } else value = hostValue(feed);
      values.set(input.name, value);
    }

    const release = (name: string) => {
      const v = values.get(name);
      if (v && !borrowed.has(v) && !plan.constants.has(name)) disposeValue(v);
      values.delete(name);
    };
    try {
      for (const step of plan.steps) {
        const inputs = step.node.inputs.map((name) => (name === '' ? undefined : values.get(name)));
        const outputs = await executeWithHostReads(step.kernel, step.node, inputs, plan.env);
        step.node.outputs.forEach((name, i) => {
          const v = outputs[i];
          if (!name || !v) return;
          values.set(name, v);
          if (plan.unused.has(name)) release(name);
        });
        for (const name of step.release) release(name);
      }
      const fetches: Fetches = {};
      for (const name of wanted) {
        const v = values.get(name);
        if (!v) throw new SamClipError('SESSION', `Output "${name}" was not produced.`, { output: name });
        if (this.keepOnDevice.has(name)) {
          fetches[name] = new TfjsDeviceTensor(plan.constants.has(name) || borrowed.has(v) ? tf.clone(valueDevice(v)) : valueDevice(v), v.dtype);
          values.delete(name);
          continue;
        }
        if (v.device && !v.host) await v.device.data();
        fetches[name] = v.host ?? downloadDevice(v.device!, v.dtype);
      }
      return fetches;
    } finally {
      for (const name of [...values.keys()]) release(name);
    }
  }

  async dispose(): Promise<void> {
    const plan = this.#plan;
    this.#plan = undefined;
    if (!plan) return;
    for (const v of plan.constants.values()) disposeValue(v);
  }
}
