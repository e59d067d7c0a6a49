// The "⋯" menu of a row: one 44 px button that stays in view (the column
// holding it is sticky), opening a list of actions with text labels. The
// list lives in the top layer (a popover), so no scrolling table clips it.
import { useEffect, useId, useLayoutEffect, useRef, useState } from "preact/hooks";

export interface MenuItem {
  /** The visible text, a verb: "Revoke". */
  label: string;
  /** A stable name for tests and styling: "revoke". */
  action: string;
  danger?: boolean;
  run: () => void;
}

/** A "⋯" button for the row named `name`, with its actions; nothing when there are none. */
export function RowMenu(props: { name: string; items: MenuItem[] }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const id = useId();

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  useLayoutEffect(() => {
    const l = list.current;
    if (!open || !l) return;
    l.showPopover?.();
    // Below the button, right edges aligned; above it when there is no room below.
    const r = button.current!.getBoundingClientRect();
    const h = l.offsetHeight;
    const w = l.offsetWidth;
    const top = r.bottom + 4 + h > innerHeight && r.top - 4 - h >= 0 ? r.top - 4 - h : r.bottom + 4;
    l.style.top = Math.max(4, top) + "px";
    l.style.left = Math.max(4, Math.min(r.right - w, innerWidth - w - 4)) + "px";
    l.querySelector<HTMLElement>("[role=menuitem]")?.focus();
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const outside = (e: Event) => {
      const t = e.target as Node;
      if (!list.current?.contains(t) && !button.current?.contains(t)) close(false);
    };
    const away = () => close(false);
    document.addEventListener("pointerdown", outside, true);
    addEventListener("resize", away);
    addEventListener("scroll", away, true);
    return () => {
      document.removeEventListener("pointerdown", outside, true);
      removeEventListener("resize", away);
      removeEventListener("scroll", away, true);
    };
  }, [open]);

  if (props.items.length === 0) return null;

  const onKeyDown = (e: KeyboardEvent) => {
    const items = [...list.current!.querySelectorAll<HTMLElement>("[role=menuitem]")];
    const i = items.indexOf(document.activeElement as HTMLElement);
    const go = (j: number) => {
      e.preventDefault();
      items[(j + items.length) % items.length]?.focus();
    };
    switch (e.key) {
      case "ArrowDown":
        return go(i + 1);
      case "ArrowUp":
        return go(i - 1);
      case "Home":
        return go(0);
      case "End":
        return go(items.length - 1);
      case "Escape":
        e.preventDefault();
        e.stopPropagation();
        return close(true);
      case "Tab":
        return close(false);
    }
  };

  return (
    <>
      <button
        ref={button}
        type="button"
        class="button row-menu-button"
        aria-label={`Actions for ${props.name}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        data-row-menu={props.name}
        onClick={() => (open ? close(false) : setOpen(true))}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {open && (
        <div ref={list} id={id} class="row-menu" popover="manual" role="menu" aria-label={`Actions for ${props.name}`} onKeyDown={onKeyDown}>
          {props.items.map((it) => (
            <button
              key={it.action}
              type="button"
              role="menuitem"
              tabIndex={-1}
              class={"row-menu-item" + (it.danger ? " danger-text" : "")}
              data-action={it.action}
              onClick={() => {
                // Back on the ⋯ button first, so a dialog the item opens
                // gives the focus back there when it closes.
                close(true);
                it.run();
              }}
            >
              {it.label}
            </button>
          ))}
        </div>
      )}
    </>
  );
}
