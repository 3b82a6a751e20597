import type { Run } from '../sdk/index.ts';

/**
 * The `run --wait` progress line: cells finished (done, failed, skipped) out of the run's
 * requested cells, the rate since the wait began, an ETA from that rate, and the cost so far.
 */
export interface ProgressSample {
  run: Pick<Run, 'status' | 'counts' | 'num_requested_cells' | 'cost'>;
  /** When the wait began, and now (epoch ms): the rate is measured over this span. */
  startedAt: number;
  now: number;
  /** Cells already finished when the wait began: they do not count towards the rate. */
  finishedAtStart: number;
}

export function finishedCells(run: Pick<Run, 'counts'>): number {
  const { done, failed, skipped, cancelled } = run.counts;
  return done + failed + skipped + cancelled;
}

/** Cells per second since the wait began, or null before there is anything to measure. */
export function cellRate(sample: ProgressSample): number | null {
  const seconds = (sample.now - sample.startedAt) / 1000;
  const finished = finishedCells(sample.run) - sample.finishedAtStart;
  if (seconds <= 0 || finished <= 0) return null;
  return finished / seconds;
}

/** `1:05`, `12:00:09`: h:mm:ss, or m:ss under an hour. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function formatCost(cost: number): string {
  return `$${cost < 1 ? cost.toFixed(4) : cost.toFixed(2)}`;
}

/**
 * One line of progress. With `barWidth` (a terminal), it starts with a bar.
 *
 * @example
 *   formatProgress(sample, { barWidth: 20 });
 *   // '[##########----------]  50% 500/1000 · done 480 · failed 12 · skipped 8 · 41.7 cells/s · ETA 0:12 · $0.0120'
 */
export function formatProgress(sample: ProgressSample, options: { barWidth?: number } = {}): string {
  const { run } = sample;
  const total = run.num_requested_cells;
  const finished = finishedCells(run);
  const fraction = total > 0 ? Math.min(1, finished / total) : 1;
  const parts: string[] = [];
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  if (options.barWidth) {
    const filled = Math.round(fraction * options.barWidth);
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(options.barWidth - filled)}] ${percent}`);
  } else {
    parts.push(percent);
  }
  parts[0] += ` ${finished}/${total}`;
  parts.push(`done ${run.counts.done}`, `failed ${run.counts.failed}`, `skipped ${run.counts.skipped}`);
  if (run.counts.cancelled > 0) parts.push(`cancelled ${run.counts.cancelled}`);
  const rate = cellRate(sample);
  if (rate !== null) {
    parts.push(`${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)} cells/s`);
    if (finished < total) parts.push(`ETA ${formatDuration((total - finished) / rate)}`);
  }
  parts.push(formatCost(run.cost));
  return parts.join(' · ');
}
