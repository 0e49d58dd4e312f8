// Compiles src/image/mask-kernel.wat into src/image/mask-kernel-wasm.ts, the module's bytes as
// base64, so that every entry point (browser or Node) loads them without a file or a fetch.
//   npm run build:wasm -w @samclip/core
// The generated file is committed; mask-kernel.test.ts fails when it no longer matches the source.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileMaskKernel, generatedModuleSource } from './wasm-source.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const wat = path.join(here, '../src/image/mask-kernel.wat');
const out = path.join(here, '../src/image/mask-kernel-wasm.ts');
const bytes = await compileMaskKernel(await readFile(wat, 'utf8'));
await writeFile(out, generatedModuleSource(bytes));
process.stdout.write(`${path.relative(process.cwd(), out)}: ${bytes.length} bytes of WebAssembly\n`);
