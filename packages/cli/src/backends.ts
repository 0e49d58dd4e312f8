/**
 * Registers the backends installed next to the CLI. Each package is imported lazily so a missing
 * or broken engine (no onnxruntime binary, no tfjs) leaves the others usable.
 */
interface BackendPackage {
  specifier: string;
  register: string;
}

const BACKEND_PACKAGES: readonly BackendPackage[] = [
  { specifier: '@samclip/backend-ort/node', register: 'registerOrtNodeBackends' },
  { specifier: '@samclip/backend-tfjs', register: 'registerTfjsBackends' },
];

/** Imports each backend package and calls its register function; returns a note per package that failed. */
export async function registerInstalledBackends(): Promise<string[]> {
  const notes: string[] = [];
  for (const { specifier, register } of BACKEND_PACKAGES) {
    try {
      const module = (await import(specifier)) as Record<string, unknown>;
      const fn = module[register];
      if (typeof fn === 'function') await (fn as () => unknown)();
      else notes.push(`${specifier} does not export ${register}()`);
    } catch (error) {
      notes.push(`${specifier} could not be loaded: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  return notes;
}
