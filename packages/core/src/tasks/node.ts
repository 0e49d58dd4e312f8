/**
 * Node entry of the task API: open a bundle from a directory, samclip.json path or URL, and make
 * SamClip methods accept image file paths and encoded bytes (JPEG, PNG) as well as pixels.
 */
import { Bundle } from '../bundle/bundle.js';
import { openBundle, type OpenBundleOptions } from '../bundle/node.js';
import { registerNodeImageDecoder } from '../image/node.js';
import { SamClip, type SamClipOptions } from './samclip.js';

export type LoadSamClipOptions = SamClipOptions & OpenBundleOptions;

/** `SamClip.load` for Node: `location` is a bundle directory, a samclip.json path, a file: or http(s) URL, or a Bundle. */
export async function loadSamClip(location: string | URL | Bundle, options: LoadSamClipOptions = {}): Promise<SamClip> {
  registerNodeImageDecoder();
  const bundle = location instanceof Bundle ? location : await openBundle(location, options);
  return SamClip.load(bundle, options);
}
