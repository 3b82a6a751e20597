import type { WireStatus } from '../api.ts';

/**
 * How each cell status looks: a background tint, a text colour and a glyph shape, plus the
 * status's name written in the cell when it is not `done`. Colour is never the only signal;
 * every text/background pair keeps a contrast of at least 4.5:1 (WCAG AA; see the test).
 */
export interface StatusStyle {
  background: string;
  text: string;
  /** Colour of the glyph and the status label. */
  accent: string;
  glyph: 'circle' | 'pie' | 'check' | 'cross' | 'skip' | 'stale' | 'stop' | 'none';
}

export const STATUS_STYLES: Record<WireStatus | 'not_run', StatusStyle> = {
  requested: { background: '#f1f3f5', text: '#3d434a', accent: '#495057', glyph: 'circle' },
  in_progress: { background: '#e8f1fd', text: '#0b3d75', accent: '#0b5cad', glyph: 'pie' },
  done: { background: '#ffffff', text: '#1f2328', accent: '#1a7f37', glyph: 'check' },
  failed: { background: '#fff0f0', text: '#8c0e1f', accent: '#b3102a', glyph: 'cross' },
  skipped: { background: '#f6f8fa', text: '#4d555e', accent: '#57606a', glyph: 'skip' },
  stale: { background: '#fff7e0', text: '#5c3b00', accent: '#7a4d00', glyph: 'stale' },
  cancelled: { background: '#f6f8fa', text: '#4d555e', accent: '#57606a', glyph: 'stop' },
  not_run: { background: '#ffffff', text: '#57606a', accent: '#57606a', glyph: 'none' },
};

/** WCAG 2 contrast ratio of two `#rrggbb` colours. */
export function contrastRatio(foreground: string, background: string): number {
  const luminance = (hex: string): number => {
    const channels = [1, 3, 5].map((start) => parseInt(hex.slice(start, start + 2), 16) / 255);
    const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [
      number,
      number,
      number,
    ];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a) as [
    number,
    number,
  ];
  return (light + 0.05) / (dark + 0.05);
}
