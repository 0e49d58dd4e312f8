import { SamClipError } from '../errors.js';
import type { FileEntry } from './manifest.js';

function subtle(): SubtleCrypto {
  const webCrypto = (globalThis as { crypto?: Crypto }).crypto;
  if (!webCrypto?.subtle) {
    throw new SamClipError(
      'UNSUPPORTED',
      'WebCrypto (crypto.subtle) is not available, so bundle files cannot be verified; use Node >= 20 or a browser page served over https or localhost',
    );
  }
  return webCrypto.subtle;
}

/** Lower-case hex sha256 of `bytes` (WebCrypto, so the same code runs in browsers and Node). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await subtle().digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** Throws INTEGRITY naming the file when `bytes` differ in size or sha256 from `entry`. */
export async function verifyFileEntry(entry: FileEntry, bytes: Uint8Array, origin?: string): Promise<void> {
  assertFileMatches(entry, bytes.byteLength, bytes.byteLength === entry.bytes ? await sha256Hex(bytes) : '', origin);
}

/** Throws INTEGRITY naming the file when a measured size or sha256 differs from `entry`. */
export function assertFileMatches(entry: FileEntry, byteLength: number, actual: string, origin?: string): void {
  const from = origin ? ` (from ${origin})` : '';
  if (byteLength !== entry.bytes) {
    throw new SamClipError(
      'INTEGRITY',
      `bundle file "${entry.file}"${from} has ${byteLength} bytes, samclip.json says ${entry.bytes}; the file is truncated or was changed — fetch or export the bundle again`,
      { file: entry.file, expectedBytes: entry.bytes, actualBytes: byteLength },
    );
  }
  if (actual !== entry.sha256) {
    throw new SamClipError(
      'INTEGRITY',
      `bundle file "${entry.file}"${from} has sha256 ${actual}, samclip.json says ${entry.sha256}; the file is corrupt or was changed — fetch or export the bundle again`,
      { file: entry.file, expectedSha256: entry.sha256, actualSha256: actual },
    );
  }
}
