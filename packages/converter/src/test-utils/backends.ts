import { registerOrtNodeBackends } from '@samclip/backend-ort/node';
import { registerTfjsNodeBackends } from '@samclip/backend-tfjs/node';

/** Registers the engines validation runs on (the converter itself never imports an engine). */
let registered = false;

export async function registerTestBackends(): Promise<void> {
  if (registered) return;
  registerOrtNodeBackends();
  registerTfjsNodeBackends();
  registered = true;
}
