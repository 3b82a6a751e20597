import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';

/** What follows an unclosed `{` right before the caret, if anything. */
export function openReference(text: string, caret: number): string | null {
  const match = /\{([a-z0-9_]*)$/i.exec(text.slice(0, caret));
  return match ? (match[1] ?? '') : null;
}

/**
 * A textarea for prompts and templates: typing `{` lists the table's column keys; ↑/↓ choose,
 * Enter or Tab inserts `{key}`, Escape closes the list.
 */
export function TemplateTextarea({
  id,
  value,
  onChange,
  keys,
  rows = 5,
  invalid,
  describedBy,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  keys: readonly string[];
  rows?: number;
  invalid?: boolean;
  describedBy?: string;
}) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const listId = useId();
  const [query, setQuery] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  // Where the caret goes after an insertion. It is placed in the commit that shows the new text,
  // before the browser handles another key: placed a frame later (as before), it jumped back over
  // whatever was typed meanwhile, and the next keys landed in the middle of the text.
  const pendingCaret = useRef<number | null>(null);
  useLayoutEffect(() => {
    const element = ref.current;
    const caret = pendingCaret.current;
    if (!element || caret === null) return;
    pendingCaret.current = null;
    element.focus();
    element.setSelectionRange(caret, caret);
  });
  // The list closes a moment after the textarea loses focus. Focus coming back cancels that: the
  // timer may run late (Chromium runs input first), after a `{` typed on return opened a new list.
  const blurTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(blurTimer.current), []);
  const matches = query === null ? [] : keys.filter((key) => key.startsWith(query.toLowerCase()));
  const open = matches.length > 0;

  function update(text: string, caret: number) {
    onChange(text);
    const next = openReference(text, caret);
    setQuery(next);
    if (next !== query) setActive(0);
  }

  function insert(key: string) {
    const element = ref.current;
    if (!element) return;
    const caret = element.selectionStart;
    const before = value.slice(0, caret).replace(/\{[a-z0-9_]*$/i, `{${key}}`);
    const after = value.slice(caret).replace(/^[a-z0-9_]*\}?/i, '');
    pendingCaret.current = before.length;
    onChange(before + after);
    setQuery(null);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (!open) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((index) => (index + (event.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length);
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      event.preventDefault();
      const key = matches[Math.min(active, matches.length - 1)];
      if (key) insert(key);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      setQuery(null);
    }
  }

  return (
    <div className="template-input">
      <textarea
        ref={ref}
        id={id}
        rows={rows}
        value={value}
        spellCheck={false}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy}
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={open ? listId : undefined}
        aria-activedescendant={open ? `${listId}-${active}` : undefined}
        onChange={(event) => update(event.target.value, event.target.selectionStart)}
        onKeyDown={onKeyDown}
        onFocus={() => clearTimeout(blurTimer.current)}
        onBlur={() => {
          blurTimer.current = setTimeout(() => setQuery(null), 150);
        }}
      />
      {open && (
        <ul className="completions" role="listbox" id={listId} aria-label="Column keys">
          {matches.map((key, index) => (
            <li
              key={key}
              id={`${listId}-${index}`}
              role="option"
              aria-selected={index === active}
              className={index === active ? 'active' : undefined}
              onMouseDown={(event) => {
                event.preventDefault();
                insert(key);
              }}
            >
              {`{${key}}`}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
