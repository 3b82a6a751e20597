import type { Cell, WireStatus } from './api.ts';

/**
 * How answers read as text (grid cells, CSV export): lists joined by ", ", money as
 * "1,200 USD", people as "Name (Role)", other objects as compact JSON.
 */
export function answerText(answer: unknown): string {
  if (answer === null || answer === undefined) return '';
  if (typeof answer === 'string') return answer;
  if (typeof answer === 'number' || typeof answer === 'boolean' || typeof answer === 'bigint') {
    return String(answer);
  }
  if (Array.isArray(answer)) return answer.map(answerText).join(', ');
  if (isMoney(answer)) return `${formatAmount(answer.amount)} ${answer.currency.toUpperCase()}`;
  if (isPerson(answer)) return answer.role ? `${answer.full_name} (${answer.role})` : answer.full_name;
  return JSON.stringify(answer);
}

function isMoney(value: object): value is { amount: number; currency: string } {
  const record = value as Record<string, unknown>;
  return (
    Object.keys(record).length === 2 &&
    typeof record.amount === 'number' &&
    typeof record.currency === 'string'
  );
}

function isPerson(value: object): value is { full_name: string; role?: string | null } {
  const record = value as Record<string, unknown>;
  return (
    typeof record.full_name === 'string' &&
    (record.role === undefined || typeof record.role === 'string' || record.role === null)
  );
}

function formatAmount(amount: number): string {
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 }).format(amount);
}

/** Pretty form of an answer for the cell detail panel. */
export function answerPretty(answer: unknown): string {
  if (answer !== null && typeof answer === 'object' && !isMoney(answer))
    return JSON.stringify(answer, null, 2);
  return answerText(answer);
}

/** A column key from a display name: snake_case ASCII, starting with a letter, at most 64 characters. */
export function keyFromName(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (ascii === '') return 'column';
  const key = /^[a-z]/.test(ascii) ? ascii : `c_${ascii}`;
  return key.slice(0, 64).replace(/_+$/, '');
}

/** A key not in `taken`: `key`, else `key_2`, `key_3`, … */
export function uniqueKey(key: string, taken: ReadonlySet<string>): string {
  if (!taken.has(key)) return key;
  for (let n = 2; ; n++) {
    const candidate = `${key.slice(0, 60)}_${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

export function formatCount(n: number): string {
  return new Intl.NumberFormat('en-US').format(n);
}

/** Statuses as people read them (the wire says requested / in_progress). */
export const STATUS_LABELS: Record<WireStatus, string> = {
  requested: 'queued',
  in_progress: 'running',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
  stale: 'stale',
  cancelled: 'cancelled',
};

/** The text of a computed cell as a screen reader (and the accessibility tree) reads it. */
export function cellAccessibleText(cell: Cell | null | undefined): string {
  if (!cell) return 'not run';
  const answer = answerText(cell.value?.answer);
  switch (cell.status) {
    case 'done':
      return answer;
    case 'failed':
      return `failed: ${cell.error?.message ?? 'unknown error'}`;
    case 'skipped':
      return `skipped${cell.reason ? `: ${cell.reason}` : ''}`;
    case 'stale':
      return answer ? `stale: ${answer}` : 'stale';
    case 'requested':
    case 'in_progress':
    case 'cancelled':
      return STATUS_LABELS[cell.status];
  }
}
