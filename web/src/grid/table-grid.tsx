import {
  CompactSelection,
  DataEditor,
  GridCellKind,
  type DataEditorRef,
  type EditableGridCell,
  type GridCell,
  type GridColumn,
  type GridSelection,
  type Item,
  type Rectangle,
} from '@glideapps/glide-data-grid';
import { useCallback, useMemo, useRef, useState } from 'react';
import type { Column } from '../api.ts';
import {
  computedCell,
  createHeaderDrawer,
  GRID_THEME,
  inputCell,
  LOADING_CELL,
  rowIdOf,
  statusCellRenderer,
  type ColumnProgress,
} from './cells.ts';
import { provideEditor } from './input-editor.tsx';
import type { RowCache } from './row-cache.ts';

const RENDERERS = [statusCellRenderer];
const EMPTY_SELECTION: GridSelection = { columns: CompactSelection.empty(), rows: CompactSelection.empty() };

/** A finished edit of an input cell. */
export interface InputEdit {
  /** The row the editor was opened on; absent only if the grid lost track of it (then: `rowIndex`). */
  rowId: string | undefined;
  rowIndex: number;
  column: Column;
  text: string;
}

export interface TableGridProps {
  columns: readonly Column[];
  cache: RowCache;
  /** Bumped whenever the cache changed: the grid redraws. */
  version: number;
  progress: ReadonlyMap<string, ColumnProgress>;
  onEditInput: (edit: InputEdit) => void;
  onOpenCell: (rowIndex: number, column: Column) => void;
  onHeaderMenu: (column: Column, bounds: Rectangle) => void;
  onSelectedRowsChange: (rows: number[]) => void;
}

/**
 * The table as a canvas grid (glide-data-grid): only the visible rows are drawn, and only their
 * pages are fetched. Arrows move, Enter edits an input cell (or opens a computed cell's detail),
 * Escape cancels an edit.
 */
export function TableGrid(props: TableGridProps) {
  const { columns, cache, version, progress, onEditInput, onOpenCell, onHeaderMenu, onSelectedRowsChange } =
    props;
  const ref = useRef<DataEditorRef>(null);
  const [widths, setWidths] = useState<Record<string, number>>({});
  const [selection, setSelection] = useState<GridSelection>(EMPTY_SELECTION);

  const gridColumns = useMemo<GridColumn[]>(
    () =>
      columns.map((column) => ({
        id: column.id,
        title: column.config.name,
        width: widths[column.id] ?? (column.config.kind === 'input' ? 150 : 220),
        hasMenu: true,
      })),
    [columns, widths],
  );

  const getCellContent = useCallback(
    ([col, rowIndex]: Item): GridCell => {
      const column = columns[col];
      const row = cache.rowAt(rowIndex);
      if (!column || !row) return LOADING_CELL;
      const cell = row.data[column.config.key];
      return column.config.kind === 'input' ? inputCell(cell, row.id) : computedCell(cell);
    },
    // The cache mutates in place and bumps `version`: a new function makes the grid redraw.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [columns, cache, version],
  );

  const drawHeader = useMemo(() => createHeaderDrawer(columns, progress), [columns, progress]);

  const onCellEdited = useCallback(
    ([col, rowIndex]: Item, value: EditableGridCell) => {
      const column = columns[col];
      if (!column || value.kind !== GridCellKind.Text) return;
      onEditInput({ rowId: rowIdOf(value) ?? cache.rowAt(rowIndex)?.id, rowIndex, column, text: value.data });
    },
    [columns, cache, onEditInput],
  );

  const open = useCallback(
    ([col, rowIndex]: Item) => {
      const column = columns[col];
      if (column && column.config.kind !== 'input' && cache.rowAt(rowIndex)) onOpenCell(rowIndex, column);
    },
    [columns, cache, onOpenCell],
  );

  const onGridSelectionChange = useCallback(
    (next: GridSelection) => {
      setSelection(next);
      onSelectedRowsChange(next.rows.toArray());
    },
    [onSelectedRowsChange],
  );

  return (
    <div className="grid-host" data-testid="grid">
      <DataEditor
        ref={ref}
        width="100%"
        height="100%"
        columns={gridColumns}
        rows={cache.rowCount}
        getCellContent={getCellContent}
        customRenderers={RENDERERS}
        theme={GRID_THEME}
        headerHeight={58}
        rowHeight={34}
        rowMarkers="both"
        smoothScrollX
        smoothScrollY
        getCellsForSelection
        gridSelection={selection}
        onGridSelectionChange={onGridSelectionChange}
        onCellEdited={onCellEdited}
        provideEditor={provideEditor}
        onCellClicked={(item) => open(item)}
        onCellActivated={open}
        onHeaderMenuClick={(col, bounds) => {
          const column = columns[col];
          if (column) onHeaderMenu(column, bounds);
        }}
        onHeaderContextMenu={(col, event) => {
          const column = columns[col];
          if (!column) return;
          event.preventDefault();
          onHeaderMenu(column, event.bounds);
        }}
        onColumnResize={(column, newSize) => {
          const id = column.id;
          if (id) setWidths((current) => ({ ...current, [id]: newSize }));
        }}
        drawHeader={drawHeader}
        onVisibleRegionChanged={(range) => cache.setVisible(range.y, range.y + range.height)}
        keybindings={{ search: false }}
      />
    </div>
  );
}
