import {
  GridCellKind,
  TextCellEntry,
  type GridCell,
  type ProvideEditorCallback,
  type ProvideEditorCallbackResult,
  type ProvideEditorComponent,
  type TextCell,
} from '@glideapps/glide-data-grid';
import type { KeyboardEvent } from 'react';

type Movement = readonly [-1 | 0 | 1, -1 | 0 | 1];

/**
 * The overlay editor of input cells: glide's own text entry, except that Enter, Tab and Escape
 * finish the edit here, at once, with the text that is in the box.
 *
 * Glide's overlay finishes an edit in a zero-delay timer that reads the key's motion from a shared
 * ref, and it leaves such a timer behind for every key, each with "do not save" for ordinary keys.
 * Chromium runs input before timers, so when Enter follows typing quickly (a fast typist, a busy
 * main thread) the timer of an earlier letter runs after Enter set the motion and closes the editor
 * without saving; Enter's own timer then finds the edit finished and the text is lost
 * (glide-data-grid 6.0.3, upstream PR #1201). Stopping the three keys here keeps them from the
 * overlay, so its timers never see a motion and have nothing to do.
 */
const InputEditor: ProvideEditorComponent<TextCell> = ({
  value,
  onChange,
  onFinishedEditing,
  isHighlighted,
  validatedSelection,
}) => {
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter also confirms an IME composition: that one belongs to the input method.
    if (event.nativeEvent.isComposing) return;
    let movement: Movement;
    let save = true;
    if (event.key === 'Escape') {
      movement = [0, 0];
      save = false;
    } else if (event.key === 'Enter' && !event.shiftKey) {
      movement = [0, 1];
    } else if (event.key === 'Tab') {
      movement = [event.shiftKey ? -1 : 1, 0];
    } else {
      return;
    }
    event.stopPropagation();
    event.preventDefault();
    onFinishedEditing(save ? { ...value, data: event.currentTarget.value } : undefined, movement);
  };
  return (
    <TextCellEntry
      highlight={isHighlighted}
      autoFocus={value.readonly !== true}
      disabled={value.readonly === true}
      // Shift+Enter writes a new line (the entry never passes it on).
      altNewline
      value={value.data}
      validatedSelection={validatedSelection}
      onChange={(event) => onChange({ ...value, data: event.target.value })}
      onKeyDown={onKeyDown}
    />
  );
};

const INPUT_EDITOR: ProvideEditorCallbackResult<TextCell> = { editor: InputEditor };

/**
 * The grid's `provideEditor`: text cells (the input columns) get {@link InputEditor}; other kinds
 * keep glide's editors. One constant editor, so re-renders of the grid never remount an open one.
 */
export const provideEditor: ProvideEditorCallback<GridCell> = (cell) =>
  cell.kind === GridCellKind.Text ? (INPUT_EDITOR as ProvideEditorCallbackResult<GridCell>) : undefined;
