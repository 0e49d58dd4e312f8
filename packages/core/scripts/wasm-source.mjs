// Shared by build-wasm.mjs and the test that checks the generated module is current.
import wabtInit from 'wabt';

/** The WebAssembly bytes of a WAT source (SIMD enabled), validated. */
export async function compileMaskKernel(source) {
  const wabt = await wabtInit();
  const module = wabt.parseWat('mask-kernel.wat', source, { simd: true });
  try {
    module.validate();
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** The TypeScript module holding `bytes` as base64. */
export function generatedModuleSource(bytes) {
  const base64 = Buffer.from(bytes).toString('base64');
  return `// Generated from mask-kernel.wat by \`npm run build:wasm -w @samclip/core\`; do not edit.\n/** The mask kernel's WebAssembly module (${bytes.length} bytes), base64. */\nexport const MASK_KERNEL_WASM_BASE64 =\n  '${base64}';\n`;
}
