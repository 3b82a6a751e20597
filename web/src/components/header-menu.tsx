import type { Rectangle } from '@glideapps/glide-data-grid';
import { useEffect, useRef } from 'react';
import type { Column, RunMode } from '../api.ts';

/** The menu of a column header: edit, run (new / all / failed), try on 5 rows, delete. */
export function HeaderMenu({
  column,
  bounds,
  onClose,
  onEdit,
  onRun,
  onTry,
  onDelete,
}: {
  column: Column;
  bounds: Rectangle;
  onClose: () => void;
  onEdit: () => void;
  onRun: (mode: RunMode) => void;
  onTry: () => void;
  onDelete: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
    const onPointer = (event: PointerEvent) => {
      if (ref.current && !ref.current.contains(event.target as Node)) onClose();
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [onClose]);
  const computed = column.config.kind !== 'input';
  const item = (label: string, action: () => void, className = '') => (
    <button
      type="button"
      role="menuitem"
      className={`menu-item ${className}`}
      onClick={() => {
        onClose();
        action();
      }}
    >
      {label}
    </button>
  );
  return (
    <div
      ref={ref}
      className="menu"
      role="menu"
      aria-label={`${column.config.name} column`}
      style={{
        left: Math.max(8, Math.min(bounds.x + bounds.width - 220, window.innerWidth - 230)),
        top: bounds.y + bounds.height,
      }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
        if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          event.preventDefault();
          const items = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
          const index = items.indexOf(document.activeElement as HTMLButtonElement);
          const next = items[(index + (event.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length];
          next?.focus();
        }
      }}
    >
      {item('Edit column…', onEdit)}
      {computed && (
        <>
          {item('Run column (new cells)', () => onRun('new'))}
          {item('Run column (all cells)', () => onRun('all'))}
          {item('Re-run failed cells', () => onRun('failed'))}
          {item('Try on 5 rows', onTry)}
        </>
      )}
      {item('Delete column…', onDelete, 'danger-text')}
    </div>
  );
}
