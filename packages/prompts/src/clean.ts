import { HTML5_ENTITIES, INVALID_CHARREFS } from './html-entities.js';

/**
 * Text cleaning exactly as CLIP's SimpleTokenizer does it before BPE:
 *   whitespace_clean(basic_clean(text)).lower()
 * where basic_clean = ftfy.fix_text (ftfy 6, default config), then html.unescape twice, then strip.
 *
 * ftfy is reproduced fix by fix, in ftfy's order, except its mojibake detector (`fix_encoding`):
 * that heuristic needs ftfy's large character-badness tables and only changes text that was
 * decoded in the wrong encoding, which prompts typed or pasted by people do not contain.
 */
export function cleanText(text: string): string {
  switch (classifyAscii(text)) {
    case AsciiKind.Clean:
      return text.toLowerCase();
    case AsciiKind.NeedsWhitespaceCollapse:
      return collapseWhitespace(text).toLowerCase();
    default:
      return collapseWhitespace(htmlUnescape(htmlUnescape(fixText(text)))).toLowerCase();
  }
}

const AsciiKind = {
  /** Printable ASCII, single inner spaces: cleaning is only lowercasing. */
  Clean: 0,
  /** Printable ASCII with tabs, line breaks, repeated or edge spaces. */
  NeedsWhitespaceCollapse: 1,
  /** Anything else: '&' (entities), controls (ftfy, terminal escapes) or non-ASCII. */
  Other: 2,
} as const;
type AsciiKind = (typeof AsciiKind)[keyof typeof AsciiKind];

/**
 * Every ftfy fix and html.unescape leaves printable ASCII without '&' or ESC unchanged, so the
 * common case of plain prompts skips them.
 */
function classifyAscii(text: string): AsciiKind {
  let kind: AsciiKind = AsciiKind.Clean;
  let previousSpace = true; // a leading space needs stripping
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x20) {
      if (previousSpace) kind = AsciiKind.NeedsWhitespaceCollapse;
      previousSpace = true;
    } else if (code === 0x09 || code === 0x0a || code === 0x0d) {
      kind = AsciiKind.NeedsWhitespaceCollapse;
      previousSpace = true;
    } else if (code < 0x20 || code > 0x7e || code === 0x26) {
      return AsciiKind.Other;
    } else {
      previousSpace = false;
    }
  }
  return previousSpace && text.length > 0 ? AsciiKind.NeedsWhitespaceCollapse : kind;
}

/**
 * Unicode White_Space, which is what Python's `regex` module matches with \s and what str.strip()
 * removes (its extra \x1c-\x1f are deleted by ftfy before they could matter). JavaScript's \s
 * differs (it includes U+FEFF), so the class is spelled out.
 */
export const WHITESPACE_CLASS = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN_RE = new RegExp(`[${WHITESPACE_CLASS}]+`, 'g');
const EDGE_SPACE_RE = /^ | $/g;

function collapseWhitespace(text: string): string {
  return text.replace(WHITESPACE_RUN_RE, ' ').replace(EDGE_SPACE_RE, '');
}

// ---------------------------------------------------------------------------------------------
// ftfy.fix_text

/**
 * ftfy.fix_text: fixes each line (segment ending in '\n') until it stops changing. HTML entities
 * are decoded only until the first line that contains '<' (ftfy's unescape_html="auto": text with
 * a literal '<' may be HTML, where decoding entities would change its meaning).
 */
export function fixText(text: string): string {
  let unescape = true;
  let out = '';
  let pos = 0;
  while (pos < text.length) {
    const newline = text.indexOf('\n', pos);
    const end = newline === -1 ? text.length : newline + 1;
    const segment = text.slice(pos, end);
    if (unescape && segment.includes('<')) unescape = false;
    out += fixSegment(segment, unescape);
    pos = end;
  }
  return out;
}

function fixSegment(segment: string, unescape: boolean): string {
  let text = segment;
  for (;;) {
    const original = text;
    if (unescape) text = ftfyUnescapeHtml(text);
    text = fixC1Controls(text);
    text = fixLatinLigatures(text);
    text = fixCharacterWidth(text);
    text = uncurlQuotes(text);
    text = fixLineBreaks(text);
    text = fixSurrogates(text);
    text = removeTerminalEscapes(text);
    text = removeControlChars(text);
    text = text.normalize('NFC');
    if (text === original) return text;
  }
}

// ftfy.fixes.unescape_html: only entities that end in ';' (so "this&not that" survives), plus
// all-caps spellings of lowercase entity names ("P&EACUTE;REZ").
const FTFY_ENTITY_RE = /&#?[0-9A-Za-z]{1,24};/g;
let ftfyEntities: Map<string, string> | undefined;

function ftfyEntityTable(): Map<string, string> {
  if (ftfyEntities) return ftfyEntities;
  const table = new Map<string, string>();
  for (const [name, value] of Object.entries(HTML5_ENTITIES)) {
    if (!name.endsWith(';')) continue;
    table.set(`&${name}`, value);
    if (name === name.toLowerCase()) {
      const upper = `&${name.toUpperCase()}`;
      // Only names whose upper-case spelling means nothing else to html.unescape.
      if (htmlUnescape(upper) === upper) table.set(upper, value.toUpperCase());
    }
  }
  ftfyEntities = table;
  return table;
}

function ftfyUnescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(FTFY_ENTITY_RE, (entity) => {
    const named = ftfyEntityTable().get(entity);
    if (named !== undefined) return named;
    if (entity.startsWith('&#')) {
      const decoded = htmlUnescape(entity);
      // A reference html.unescape decoded only in part (the ';' survived) is left alone.
      return decoded.includes(';') ? entity : decoded;
    }
    return entity;
  });
}

const C1_CONTROL_RE = /[\x80-\x9f]/g;

/** C1 controls are almost always Windows-1252 bytes decoded as Latin-1; decode them as 1252. */
function fixC1Controls(text: string): string {
  return text.replace(C1_CONTROL_RE, (ch) => INVALID_CHARREFS.get(ch.charCodeAt(0)) ?? ch);
}

const LIGATURES: ReadonlyMap<string, string> = new Map([
  ['\u0132', 'IJ'],
  ['\u0133', 'ij'],
  ['\u0149', '\u02bcn'],
  ['\u01f1', 'DZ'],
  ['\u01f2', 'Dz'],
  ['\u01f3', 'dz'],
  ['\u01c4', 'D\u017d'],
  ['\u01c5', 'D\u017e'],
  ['\u01c6', 'd\u017e'],
  ['\u01c7', 'LJ'],
  ['\u01c8', 'Lj'],
  ['\u01c9', 'lj'],
  ['\u01ca', 'NJ'],
  ['\u01cb', 'Nj'],
  ['\u01cc', 'nj'],
  ['\ufb00', 'ff'],
  ['\ufb01', 'fi'],
  ['\ufb02', 'fl'],
  ['\ufb03', 'ffi'],
  ['\ufb04', 'ffl'],
  ['\ufb05', '\u017ft'],
  ['\ufb06', 'st'],
]);
const LIGATURE_RE = /[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g;

function fixLatinLigatures(text: string): string {
  return text.replace(LIGATURE_RE, (ch) => LIGATURES.get(ch) ?? ch);
}

// Halfwidth and fullwidth forms (U+FF01–U+FFEF) become their NFKC form; U+3000 becomes a space.
const WIDTH_RE = /[\u3000\uff01-\uffef]/g;
let widthMap: Map<string, string> | undefined;

function widthTable(): Map<string, string> {
  if (widthMap) return widthMap;
  const table = new Map<string, string>([['\u3000', ' ']]);
  for (let code = 0xff01; code < 0xfff0; code++) {
    const ch = String.fromCharCode(code);
    const normal = ch.normalize('NFKC');
    if (normal !== ch) table.set(ch, normal);
  }
  widthMap = table;
  return table;
}

function fixCharacterWidth(text: string): string {
  return text.replace(WIDTH_RE, (ch) => widthTable().get(ch) ?? ch);
}

const SINGLE_QUOTE_RE = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTE_RE = /[\u201c-\u201f]/g;

function uncurlQuotes(text: string): string {
  return text.replace(DOUBLE_QUOTE_RE, '"').replace(SINGLE_QUOTE_RE, "'");
}

const LINE_BREAK_RE = /\r\n|[\r\u2028\u2029\x85]/g;

function fixLineBreaks(text: string): string {
  return text.replace(LINE_BREAK_RE, '\n');
}

// Unpaired UTF-16 surrogates (paired ones are already one code point in a JavaScript string).
const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function fixSurrogates(text: string): string {
  return text.replace(LONE_SURROGATE_RE, '\ufffd');
}

const TERMINAL_ESCAPE_RE = /\x1b\[[\d;]*[a-zA-Z]/g;

function removeTerminalEscapes(text: string): string {
  return text.replace(TERMINAL_ESCAPE_RE, '');
}

// ASCII controls except \t \n \f \r, deprecated Arabic format controls, interlinear annotation
// marks, the object replacement character and the byte-order mark.
const CONTROL_CHAR_RE = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

function removeControlChars(text: string): string {
  return text.replace(CONTROL_CHAR_RE, '');
}

// ---------------------------------------------------------------------------------------------
// Python's html.unescape

const CHARREF_RE = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;
let html5Entities: Map<string, string> | undefined;

function html5Table(): Map<string, string> {
  html5Entities ??= new Map(Object.entries(HTML5_ENTITIES));
  return html5Entities;
}

/** Python's html.unescape: numeric and named references, including names without ';'. */
export function htmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARREF_RE, (_match, reference: string) => {
    if (reference.startsWith('#')) return numericReference(reference);
    const table = html5Table();
    const exact = table.get(reference);
    if (exact !== undefined) return exact;
    // The longest prefix that names an entity ("&notit;" is "¬it;"); iterate by code point as
    // Python slices do.
    const chars = Array.from(reference);
    for (let length = chars.length - 1; length > 1; length--) {
      const prefix = chars.slice(0, length).join('');
      const value = table.get(prefix);
      if (value !== undefined) return value + chars.slice(length).join('');
    }
    return `&${reference}`;
  });
}

function numericReference(reference: string): string {
  const hex = reference[1] === 'x' || reference[1] === 'X';
  const digits = reference.slice(hex ? 2 : 1).replace(/;$/, '');
  // Long digit strings are far beyond U+10FFFF; parseInt would only lose precision on them.
  const num = digits.replace(/^0+/, '').length > 8 ? Infinity : Number.parseInt(digits, hex ? 16 : 10);
  const replacement = INVALID_CHARREFS.get(num);
  if (replacement !== undefined) return replacement;
  if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return '\ufffd';
  if (isInvalidCodePoint(num)) return '';
  return String.fromCodePoint(num);
}

/** Python's html._invalid_codepoints: controls, noncharacters. */
function isInvalidCodePoint(num: number): boolean {
  return (
    (num >= 0x1 && num <= 0x8) ||
    num === 0xb ||
    (num >= 0xe && num <= 0x1f) ||
    (num >= 0x7f && num <= 0x9f) ||
    (num >= 0xfdd0 && num <= 0xfdef) ||
    (num & 0xfffe) === 0xfffe
  );
}
