import { describe, expect, it } from 'vitest';
import { cleanText, fixText, htmlUnescape } from './clean.js';

describe('htmlUnescape (Python html.unescape)', () => {
  // Expected values printed by CPython 3.11's html.unescape.
  it.each([
    ['&notit;', '\u00acit;'],
    ['&amp;lt;b&amp;gt;', '&lt;b&gt;'],
    ['&#128;&#x80;', '\u20ac\u20ac'],
    ['&#0;x', '\ufffdx'],
    ['&#xD800;', '\ufffd'],
    ['&#1114112;', '\ufffd'],
    ['&#11;a', 'a'],
    ['AT&T &copy 2024', 'AT&T \u00a9 2024'],
    ['&#65', 'A'],
    ['&unknown;', '&unknown;'],
  ])('%s', (input, expected) => {
    expect(htmlUnescape(input)).toBe(expected);
  });
});

describe('fixText (ftfy.fix_text)', () => {
  // Examples from ftfy's documentation.
  it('decodes entities, including all-caps ones, but not ambiguous ones', () => {
    expect(fixText('P&EACUTE;REZ')).toBe('PÉREZ');
    expect(fixText('&ntilde; &Ntilde; &NTILDE; &nTILDE;')).toBe('ñ Ñ Ñ &nTILDE;');
    expect(fixText('this&not that')).toBe('this&not that');
  });

  it('keeps entities from the first line containing "<" on', () => {
    expect(fixText('&amp;\n<b>&amp;</b>\n&amp;')).toBe('&\n<b>&amp;</b>\n&amp;');
  });

  it('fixes width, ligatures, quotes, line breaks and controls', () => {
    expect(fixText('ＬＯＵＤ\u3000ＮＯＩＳＥＳ')).toBe('LOUD NOISES');
    expect(fixText('ﬂuﬃeﬆ')).toBe('fluffiest');
    expect(fixText('\u201chere\u2019s a test\u201d')).toBe('"here\'s a test"');
    expect(fixText('a\r\nb\u2028c')).toBe('a\nb\nc');
    expect(fixText('\ufeff\x1b[36;44mblue\x1b[0m\x07')).toBe('blue');
    expect(fixText('I\x92m')).toBe("I'm");
    expect(fixText('e\u0301')).toBe('é');
  });
});

describe('cleanText', () => {
  it('collapses Unicode whitespace, strips and lowercases', () => {
    expect(cleanText('  A\u00a0 Photo\t\nOF\u3000a  CAT ')).toBe('a photo of a cat');
    expect(cleanText('Fish &amp;amp; Chips')).toBe('fish & chips');
    expect(cleanText(' Two  Spaces\tand\r\nbreaks ')).toBe('two spaces and breaks');
    expect(cleanText('trailing ')).toBe('trailing');
    expect(cleanText(' ')).toBe('');
    expect(cleanText('')).toBe('');
    expect(cleanText('Plain Prompt.')).toBe('plain prompt.');
  });
});
