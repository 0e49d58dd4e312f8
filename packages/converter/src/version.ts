/** The converter's own version, recorded in every variant's provenance (kept equal to package.json by a test). */
export const CONVERTER_VERSION = '0.1.0';
export const CONVERTER_ID = `@samclip/converter@${CONVERTER_VERSION}`;
