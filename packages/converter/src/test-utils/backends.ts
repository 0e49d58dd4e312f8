/**
 * Registers the engines validation runs on. Imported by path from the sibling packages' sources
 * because vitest.config.ts aliases only their browser entries.
 */
let registered: Promise<void> | undefined;

export function registerTestBackends(): Promise<void> {
  registered ??= (async () => {
    const ort = (await import(new URL('../../../backend-ort/src/node.ts', import.meta.url).pathname)) as { registerOrtNodeBackends(): string[] };
    ort.registerOrtNodeBackends();
    const tfjs = (await import(new URL('../../../backend-tfjs/src/node.ts', import.meta.url).pathname)) as { registerTfjsNodeBackends(): unknown };
    tfjs.registerTfjsNodeBackends();
  })();
  return registered;
}
