import {
  getMiddleCenterBias,
  GridCellKind,
  type CustomCell,
  type CustomRenderer,
  type DrawHeaderCallback,
  type GridCell,
  type TextCell,
  type Theme,
} from '@glideapps/glide-data-grid';
import type { Cell, Column, WireStatus } from '../api.ts';
import { answerText, cellAccessibleText, formatCost, STATUS_LABELS } from '../format.ts';
import { STATUS_STYLES, type StatusStyle } from './status-style.ts';

/** A computed cell as the grid draws it: status glyph, answer, and the status's name unless done. */
export interface StatusCellData {
  readonly kind: 'status-cell';
  readonly status: WireStatus | 'not_run';
  readonly text: string;
  /** Written after the glyph when the status is not `done` (failed: the error's message). */
  readonly label: string;
}

export type StatusCell = CustomCell<StatusCellData>;

export const GRID_THEME: Partial<Theme> = {
  accentColor: '#1f4fd1',
  accentLight: 'rgba(31, 79, 209, 0.12)',
  textDark: '#1f2328',
  textMedium: '#4d555e',
  textLight: '#57606a',
  textHeader: '#1f2328',
  bgHeader: '#f6f8fa',
  bgHeaderHovered: '#eaeef2',
  bgHeaderHasFocus: '#e2e7ee',
  borderColor: 'rgba(31, 35, 40, 0.12)',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif',
  baseFontStyle: '13px',
  headerFontStyle: '600 13px',
};

export function computedCell(cell: Cell | null | undefined): StatusCell {
  const status = cell?.status ?? 'not_run';
  const answer = answerText(cell?.value?.answer);
  let label = '';
  switch (status) {
    case 'done':
    case 'not_run':
      break;
    case 'failed':
      label = cell?.error?.message ? `failed: ${cell.error.message}` : 'failed';
      break;
    case 'skipped':
      label = cell?.reason ? `skipped: ${cell.reason.replace(/_/g, ' ')}` : 'skipped';
      break;
    default:
      label = STATUS_LABELS[status];
  }
  return {
    kind: GridCellKind.Custom,
    allowOverlay: false,
    readonly: true,
    copyData: cellAccessibleText(cell),
    data: {
      kind: 'status-cell',
      status,
      text: status === 'failed' || status === 'skipped' ? '' : answer,
      label,
    },
  };
}

/**
 * An input cell knows its row. The overlay editor keeps the cell it opened with (and glide copies
 * a cell's fields into the edited value), so a finished edit names the row the user was looking
 * at, even if that row's page was unloaded or rows above it were deleted meanwhile.
 */
export interface InputCell extends TextCell {
  readonly rowId: string;
}

export function inputCell(cell: Cell | null | undefined, rowId: string): InputCell {
  const text = answerText(cell?.value?.answer);
  return {
    kind: GridCellKind.Text,
    data: text,
    displayData: text,
    allowOverlay: true,
    readonly: false,
    rowId,
  };
}

/** The row an edited cell came from, if it is an {@link InputCell}. */
export function rowIdOf(cell: GridCell): string | undefined {
  const rowId = (cell as Partial<InputCell>).rowId;
  return cell.kind === GridCellKind.Text && typeof rowId === 'string' ? rowId : undefined;
}

export const LOADING_CELL: GridCell = { kind: GridCellKind.Loading, allowOverlay: false };

function drawGlyph(ctx: CanvasRenderingContext2D, style: StatusStyle, x: number, y: number): void {
  const r = 5;
  ctx.save();
  ctx.strokeStyle = style.accent;
  ctx.fillStyle = style.accent;
  ctx.lineWidth = 1.6;
  ctx.lineCap = 'round';
  ctx.beginPath();
  switch (style.glyph) {
    case 'circle': // queued: an empty ring
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.stroke();
      break;
    case 'pie': // running: a half-filled ring
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.arc(x, y, r, -Math.PI / 2, Math.PI / 2);
      ctx.closePath();
      ctx.fill();
      break;
    case 'check':
      ctx.moveTo(x - r, y);
      ctx.lineTo(x - 1.5, y + r - 1);
      ctx.lineTo(x + r, y - r + 1);
      ctx.stroke();
      break;
    case 'cross':
      ctx.moveTo(x - r + 1, y - r + 1);
      ctx.lineTo(x + r - 1, y + r - 1);
      ctx.moveTo(x + r - 1, y - r + 1);
      ctx.lineTo(x - r + 1, y + r - 1);
      ctx.stroke();
      break;
    case 'skip': // an arrow past a bar
      ctx.moveTo(x - r, y);
      ctx.lineTo(x + r - 2, y);
      ctx.moveTo(x + r - 5, y - 3);
      ctx.lineTo(x + r - 2, y);
      ctx.lineTo(x + r - 5, y + 3);
      ctx.moveTo(x + r, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.stroke();
      break;
    case 'stale': // a dashed ring: the value may be out of date
      ctx.setLineDash([2, 2]);
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.stroke();
      break;
    case 'stop':
      ctx.rect(x - r + 1, y - r + 1, 2 * r - 2, 2 * r - 2);
      ctx.fill();
      break;
    case 'none':
      break;
  }
  ctx.restore();
}

function fitText(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (width <= 0) return '';
  if (ctx.measureText(text).width <= width) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= width) low = mid;
    else high = mid - 1;
  }
  return `${text.slice(0, low)}…`;
}

export const statusCellRenderer: CustomRenderer<StatusCell> = {
  kind: GridCellKind.Custom,
  isMatch: (cell): cell is StatusCell =>
    (cell.data as { kind?: unknown } | undefined)?.kind === 'status-cell',
  draw: (args, cell) => {
    const { ctx, rect, theme, highlighted } = args;
    const { status, text, label } = cell.data;
    const style = STATUS_STYLES[status];
    if (!highlighted && status !== 'done' && status !== 'not_run') {
      ctx.fillStyle = style.background;
      ctx.fillRect(rect.x + 1, rect.y + 1, rect.width - 2, rect.height - 2);
    }
    const padding = theme.cellHorizontalPadding;
    const midY = rect.y + rect.height / 2;
    let x = rect.x + padding;
    if (style.glyph !== 'none') {
      drawGlyph(ctx, style, x + 5, midY);
      x += 16;
    }
    const right = rect.x + rect.width - padding;
    ctx.textBaseline = 'middle';
    // The same vertical placement as glide's own text cells.
    const baseFont = `${theme.baseFontStyle} ${theme.fontFamily}`;
    const textY = midY + getMiddleCenterBias(ctx, baseFont);
    if (label) {
      const labelFont = `600 12px ${theme.fontFamily}`;
      ctx.font = labelFont;
      ctx.fillStyle = style.accent;
      const shown = fitText(ctx, label, right - x);
      ctx.fillText(shown, x, midY + getMiddleCenterBias(ctx, labelFont));
      x += ctx.measureText(shown).width + 8;
    }
    ctx.font = baseFont;
    ctx.fillStyle = style.text;
    if (text && x < right) ctx.fillText(fitText(ctx, text.replace(/\s+/g, ' '), right - x), x, textY);
    if (status === 'not_run' && !text) ctx.fillText('—', x, textY);
  },
};

/** Progress of one computed column: over the whole table (column_stats), or the rows loaded so far. */
export interface ColumnProgress {
  done: number;
  failed: number;
  running: number;
  queued: number;
  counted: number;
  /** Every row of the table was counted (else the figures cover the loaded rows only). */
  exact: boolean;
  /** What the column's cells cost so far (known from column_stats only). */
  cost?: number;
}

export function describeColumn(column: Column): string {
  const config = column.config;
  switch (config.kind) {
    case 'agent':
      return `agent · ${config.value.agent_type} · ${config.value.output_format}`;
    case 'http':
      return `http · ${config.value.method}`;
    default:
      return config.kind;
  }
}

export function progressText(progress: ColumnProgress | undefined): string {
  if (!progress) return '';
  // Before the server's counts arrive, the figures cover the rows loaded so far.
  const parts = [`${progress.done}/${progress.counted}${progress.exact ? '' : ' loaded'} done`];
  if (progress.running + progress.queued > 0) parts.push(`${progress.running + progress.queued} pending`);
  if (progress.failed > 0) parts.push(`${progress.failed} failed`);
  if (progress.cost)
    parts.push(formatCost(progress.cost));
  return parts.join(' · ');
}

/** Column headers on three lines: name, kind, progress of computed columns. */
export function createHeaderDrawer(
  columns: readonly Column[],
  progress: ReadonlyMap<string, ColumnProgress>,
): DrawHeaderCallback {
  return ({ ctx, rect, theme, columnIndex, isSelected, isHovered, menuBounds }) => {
    const column = columns[columnIndex];
    if (!column) return;
    ctx.fillStyle = isSelected ? theme.accentColor : isHovered ? theme.bgHeaderHovered : theme.bgHeader;
    ctx.fillRect(rect.x, rect.y, rect.width, rect.height);
    const padding = theme.cellHorizontalPadding;
    const width = rect.width - padding * 2 - menuBounds.width;
    const primary = isSelected ? theme.textHeaderSelected : theme.textHeader;
    const secondary = isSelected ? theme.textHeaderSelected : '#4d555e';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = primary;
    ctx.font = `600 13px ${theme.fontFamily}`;
    ctx.fillText(fitText(ctx, column.config.name, width), rect.x + padding, rect.y + 15);
    ctx.font = `12px ${theme.fontFamily}`;
    ctx.fillStyle = secondary;
    ctx.fillText(fitText(ctx, describeColumn(column), width), rect.x + padding, rect.y + 32);
    const line = progressText(progress.get(column.id));
    if (line) {
      const stats = progress.get(column.id);
      ctx.fillStyle = isSelected
        ? secondary
        : stats && stats.failed > 0
          ? STATUS_STYLES.failed.accent
          : secondary;
      ctx.fillText(fitText(ctx, line, width), rect.x + padding, rect.y + 48);
    }
    // The menu button: three dots.
    ctx.fillStyle = primary;
    const cx = menuBounds.x + menuBounds.width / 2;
    const cy = menuBounds.y + menuBounds.height / 2;
    for (const dy of [-5, 0, 5]) {
      ctx.beginPath();
      ctx.arc(cx, cy + dy, 1.6, 0, Math.PI * 2);
      ctx.fill();
    }
  };
}
