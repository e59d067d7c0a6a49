// Choosing a persona to reuse: a searchable list (an ARIA combobox) that
// asks the server for the personas whose name contains what is typed, with
// how many tokens act as each, so that tokens share personas instead of each
// making its own.
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { Connection, Persona, Q, gql, nodes } from "./api";
import { message } from "./errors";
import { Avatar, Field, FormErrors, useDebounced, useSession } from "./ui";

export type PersonaChoice = Persona & { tokens?: { totalCount: number } };

const shown = 8;

/** Personas whose name contains q (all, by name, when q is empty): the first few, and how many there are. */
export async function searchPersonas(q: string, withTokens: boolean, first = shown) {
  const d = await gql<{ personas: Connection<PersonaChoice> }>(Q.personaSearch, {
    first,
    where: q.trim() ? { nameContainsFold: q.trim() } : {},
    withTokens,
  });
  return { items: nodes(d.personas), total: d.personas.totalCount };
}

/** The tokens count of a persona, as words. */
export function tokenCount(n: number): string {
  return n === 0 ? "no tokens" : n === 1 ? "1 token" : `${n} tokens`;
}

/**
 * A persona picker for the field `name`: a text box that filters, a list
 * that opens below it (arrow keys, Enter, Escape, or the mouse), and the
 * chosen persona's avatar beside it. `value` is the chosen persona.
 */
export function PersonaPicker(props: {
  name: string;
  label: string;
  errors: FormErrors;
  value: Persona | null;
  onChange: (p: PersonaChoice) => void;
  hint?: preact.ComponentChildren;
}) {
  const session = useSession();
  const withTokens = session.can("api-token", "read");
  const [query, setQuery] = useState(props.value?.name ?? "");
  const [editing, setEditing] = useState(false);
  const [open, setOpen] = useState(false);
  const [found, setFound] = useState<{ q: string; items: PersonaChoice[]; total: number } | null>(null);
  const [active, setActive] = useState(0);
  const [error, setError] = useState("");
  const listId = useId();
  const input = useRef<HTMLInputElement>(null);
  const search = useDebounced(editing ? query : "", 200);

  useEffect(() => {
    if (!editing) setQuery(props.value?.name ?? "");
  }, [props.value?.id, editing]);

  useEffect(() => {
    // Reopened on the same text, the list keeps its answer and place.
    if (!open || found?.q === search) return;
    let live = true;
    searchPersonas(search, withTokens)
      .then((r) => {
        if (!live) return;
        setFound({ q: search, ...r });
        setActive(0);
        setError("");
      })
      .catch((e) => live && setError(message(e)));
    return () => {
      live = false;
    };
  }, [search, open]);

  const items = found?.items ?? [];
  const choose = (p: PersonaChoice) => {
    props.errors.edited(props.name);
    props.onChange(p);
    setEditing(false);
    setOpen(false);
    setQuery(p.name);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!open) return setOpen(true);
      const n = items.length;
      if (n) setActive((a) => (a + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
    } else if (e.key === "Enter") {
      // Enter picks; it never submits the form from here.
      e.preventDefault();
      if (open && items[active]) choose(items[active]);
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      setOpen(false);
      setEditing(false);
    }
  };
  const optionId = (i: number) => `${listId}-${i}`;
  return (
    <Field label={props.label} name={props.name} errors={props.errors} hint={props.hint}>
      {(id, describedBy, invalid) => (
        <div class="picker">
          <div class="persona-pick">
            <Avatar name={props.value?.name ?? ""} url={props.value?.avatarURL} size={32} />
            <input
              ref={input}
              id={id}
              name="persona-search"
              type="text"
              role="combobox"
              autocomplete="off"
              spellcheck={false}
              placeholder="Type to search personas"
              aria-autocomplete="list"
              aria-expanded={open}
              aria-controls={listId}
              aria-activedescendant={open && items[active] ? optionId(active) : undefined}
              aria-describedby={describedBy}
              aria-invalid={invalid ? "true" : undefined}
              value={query}
              onFocus={() => setOpen(true)}
              onClick={() => setOpen(true)}
              onInput={(e) => {
                setQuery((e.target as HTMLInputElement).value);
                setEditing(true);
                setOpen(true);
              }}
              onBlur={() => {
                setOpen(false);
                setEditing(false);
              }}
              onKeyDown={onKeyDown}
              // Some keyboards send Enter's character apart from the key; it must not submit the form either.
              onKeyPress={(e) => e.key === "Enter" && e.preventDefault()}
            />
          </div>
          <ul id={listId} role="listbox" aria-label="Personas" class="picker-list" hidden={!open}>
            {items.map((p, i) => (
              <li
                key={p.id}
                id={optionId(i)}
                role="option"
                aria-selected={i === active}
                data-persona-option={p.name}
                class={"picker-option" + (i === active ? " active" : "")}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => choose(p)}
                onMouseEnter={() => setActive(i)}
              >
                <Avatar name={p.name} url={p.avatarURL} size={24} />
                <span class="picker-name">{p.name}</span>
                {p.tokens && <span class="picker-count">{tokenCount(p.tokens.totalCount)}</span>}
              </li>
            ))}
          </ul>
          {open && (
            <p class="hint picker-status" role="status">
              {error
                ? error
                : !found
                  ? "Searching…"
                  : items.length === 0
                    ? `No persona’s name contains “${query.trim()}”.`
                    : found.total > items.length
                      ? `${found.total} personas match; type more of the name to narrow them.`
                      : ""}
            </p>
          )}
        </div>
      )}
    </Field>
  );
}
