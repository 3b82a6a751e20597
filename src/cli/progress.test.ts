import { describe, expect, it } from 'vitest';
import { cellRate, formatDuration, formatProgress, type ProgressSample } from './progress.ts';

function sample(counts: Partial<ProgressSample['run']['counts']>, overrides: Partial<ProgressSample> = {}) {
  return {
    run: {
      status: 'in_progress' as const,
      num_requested_cells: 1000,
      cost: 0.012,
      counts: { queued: 0, running: 0, done: 0, failed: 0, skipped: 0, cancelled: 0, ...counts },
    },
    startedAt: 0,
    now: 12_000,
    finishedAtStart: 0,
    ...overrides,
  } satisfies ProgressSample;
}

describe('run progress', () => {
  it('draws a bar, the counts, the rate, an ETA from the rate and the cost', () => {
    const line = formatProgress(sample({ done: 480, failed: 12, skipped: 8, queued: 500 }), {
      barWidth: 20,
    });
    expect(line).toBe(
      '[##########----------]  50% 500/1000 · done 480 · failed 12 · skipped 8 · 42 cells/s · ETA 0:12 · $0.0120',
    );
  });

  it('measures the rate only over cells finished since the wait began', () => {
    const measured = sample({ done: 600 }, { finishedAtStart: 500, now: 10_000 });
    expect(cellRate(measured)).toBe(10);
    expect(cellRate(sample({ done: 500 }, { finishedAtStart: 500 }))).toBeNull();
  });

  it('leaves out rate and ETA before anything finished, and the ETA once all did', () => {
    expect(formatProgress(sample({ queued: 1000 }))).toBe(
      '  0% 0/1000 · done 0 · failed 0 · skipped 0 · $0.0120',
    );
    const over = formatProgress(sample({ done: 1000 }));
    expect(over).toContain('100% 1000/1000');
    expect(over).not.toContain('ETA');
  });

  it('formats durations as m:ss, and h:mm:ss from an hour', () => {
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3609)).toBe('1:00:09');
  });
});
