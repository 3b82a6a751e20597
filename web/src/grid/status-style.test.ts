import { describe, expect, it } from 'vitest';
import { contrastRatio, STATUS_STYLES } from './status-style.ts';

describe('cell status styles', () => {
  it('keep text and labels at WCAG AA contrast (4.5:1) on their background', () => {
    for (const [status, style] of Object.entries(STATUS_STYLES)) {
      expect(contrastRatio(style.text, style.background), `${status} text`).toBeGreaterThanOrEqual(4.5);
      expect(contrastRatio(style.accent, style.background), `${status} label`).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('give every status its own glyph or background', () => {
    const looks = Object.values(STATUS_STYLES).map((style) => `${style.glyph}/${style.background}`);
    expect(new Set(looks).size).toBe(looks.length);
  });

  it('computes the contrast ratio of black on white as 21', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
  });
});
