// Building blocks of the pages themselves: the heading, the tables and their
// row buttons, loading lists (whole or a page at a time), and the dialog a
// page has open.
import { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { Connection, gql, nodes } from "./api";
import { Sentence, message } from "./errors";
import { ConfirmDialog, useSession } from "./ui";
import { PageQuery, firstPage, pageSizes } from "./urlstate";
import { PlusIcon } from "./icons";

/** A page: its title, the buttons beside it, a line on what it is for, and the rest. */
export function Page(props: { id: string; title: string; actions?: ComponentChildren; intro: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="page" aria-labelledby={props.id}>
      <div class="page-head">
        <h1 id={props.id}>{props.title}</h1>
        {props.actions && <div class="page-actions">{props.actions}</div>}
      </div>
      <p class="page-intro">{props.intro}</p>
      {props.children}
    </section>
  );
}

export function CreateButton(props: { label: string; onClick: () => void; testid?: string }) {
  return (
    <button type="button" class="button primary" data-testid={props.testid} onClick={props.onClick}>
      <PlusIcon />
      {" " + props.label}
    </button>
  );
}

/**
 * The box around a table. It scrolls sideways when it must (the actions
 * column stays in view: it is sticky), and below `cardsBelow` pixels of width
 * its table turns into a list of cards, one per row, each cell labelled by its
 * data-label. Cells with a data-priority are dropped as the box narrows (see
 * styles.css): 3 first, then 2.
 */
export function TableWrap(props: { cardsBelow?: number; class?: string; children: ComponentChildren }) {
  const ref = useRef<HTMLDivElement>(null);
  const below = props.cardsBelow ?? 640;
  const [cards, setCards] = useState(false);
  useLayoutEffect(() => {
    const el = ref.current!;
    const check = () => setCards(el.clientWidth < below);
    check();
    const ro = new ResizeObserver(check);
    ro.observe(el);
    return () => ro.disconnect();
  }, [below]);
  return (
    <div ref={ref} class={"table-wrap" + (cards ? " as-cards" : "") + (props.class ? " " + props.class : "")} data-cards-below={below}>
      {props.children}
    </div>
  );
}

/** A column of a DataTable: its name, and how soon it is dropped on narrow screens. */
export interface Column {
  label: string;
  priority?: 2 | 3;
}

/**
 * A table with a header row of plain column names and, with `actions`, a
 * last, sticky column of row buttons. Rows give each cell the column's name
 * as data-label (and its priority), for the card layout. While `loading`
 * (nothing loaded yet), three placeholder rows of the same columns follow.
 */
export function DataTable(props: {
  head: (string | Column)[];
  actions?: string;
  class?: string;
  labelledBy?: string;
  busy?: boolean;
  loading?: boolean;
  cardsBelow?: number;
  children: ComponentChildren;
}) {
  const cols = props.head.map((h) => (typeof h === "string" ? { label: h } : h));
  return (
    <TableWrap cardsBelow={props.cardsBelow}>
      <table class={"data-table" + (props.class ? " " + props.class : "")} aria-labelledby={props.labelledBy} aria-busy={props.busy}>
        <thead>
          <tr>
            {cols.map((h) => (
              <th scope="col" key={h.label} data-priority={h.priority}>
                {h.label}
              </th>
            ))}
            {props.actions && (
              <th scope="col" class="row-actions">
                <span class="visually-hidden">{props.actions}</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {props.children}
          {props.loading &&
            [0, 1, 2].map((i) => (
              <tr key={"skeleton" + i} class="skeleton-row" aria-hidden="true">
                {cols.map((h) => (
                  <td key={h.label} data-priority={h.priority}>
                    <span class="skeleton" />
                  </td>
                ))}
                {props.actions && <td class="row-actions" />}
              </tr>
            ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** A button that acts on one row, named for it: "Edit Deploy bot". Icon-only ones show the verb as a tooltip. */
export function RowButton(props: {
  verb: string;
  name: string;
  icon: ComponentChildren;
  iconOnly?: boolean;
  danger?: boolean;
  onClick: () => void;
}) {
  return (
    <button
      type="button"
      class={"button " + (props.iconOnly ? "icon-only" : "small") + (props.danger ? " danger-outline" : "")}
      aria-label={`${props.verb} ${props.name}`}
      title={props.iconOnly ? props.verb : undefined}
      onClick={props.onClick}
    >
      {props.icon}
      {props.iconOnly ? null : " " + props.verb}
    </button>
  );
}

/**
 * The nodes of a connection the query returns in `field`, loaded on mount
 * and again on each call of the returned reload; errors go to onError.
 * Nothing is loaded unless `enabled`.
 */
export function useNodes<T>(query: string, field: string, onError: (text: string) => void, enabled = true) {
  const [items, setItems] = useState<T[] | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    gql<Record<string, Connection<T>>>(query)
      .then((d) => setItems(nodes(d[field])))
      .catch((e) => onError(message(e)));
  }, [reload]);
  return [items, () => setReload((n) => n + 1)] as const;
}

/** The arguments of a connection that fetch one page: forward from a cursor, or backward. */
export interface PageRequest {
  first?: number;
  after?: string | null;
  last?: number;
  before?: string | null;
}

/**
 * A list read a page at a time, its place kept in the URL (q and set come
 * from useQueryState with pageDefaults): load fetches the page a request
 * names. The list loads again when the page or reloadOn (the sort and
 * filters load uses) change; only the answer to
 * the latest request counts, and the table is busy while one is out.
 * `pager` is what Pager needs, once there is data.
 */
export function usePages<T>(
  load: (req: PageRequest) => Promise<Connection<T>>,
  q: PageQuery,
  set: (patch: Partial<PageQuery>, mode?: "push" | "replace") => void,
  reloadOn: unknown[] = [],
) {
  const [data, setData] = useState<Connection<T> | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(true);
  const [retry, setRetry] = useState(0);
  const seq = useRef(0);
  const size = pageSizes.includes(Number(q.size)) ? Number(q.size) : 20;
  const page = Math.max(1, Number(q.page) || 1);

  useEffect(() => {
    const mine = ++seq.current;
    setBusy(true);
    const req: PageRequest = q.last
      ? { last: Math.max(1, Number(q.last) || size) }
      : q.before
        ? { last: size, before: q.before }
        : { first: size, after: q.after || null };
    load(req)
      .then((c) => {
        if (mine !== seq.current) return;
        setData(c);
        setError("");
      })
      .catch((e) => mine === seq.current && setError(message(e)))
      .finally(() => mine === seq.current && setBusy(false));
  }, [q.page, q.size, q.after, q.before, q.last, retry, ...reloadOn]);

  const items = data ? nodes(data) : [];
  const pages = data ? Math.max(1, Math.ceil(data.totalCount / size)) : 1;
  const go = (patch: Partial<PageQuery>) => set({ ...firstPage, ...patch }, "push");
  const pager = data && {
    total: data.totalCount,
    page,
    pages,
    size,
    onFirst: () => go({}),
    onPrev: () => go(page - 1 <= 1 ? {} : { page: String(page - 1), before: data.pageInfo.startCursor ?? "" }),
    onNext: () => go({ page: String(page + 1), after: data.pageInfo.endCursor ?? "" }),
    onLast: () => go({ page: String(pages), last: String(data.totalCount - (pages - 1) * size) }),
    onSize: (n: number) => go({ size: String(n) }),
  };
  return { data, items, error, setError, pager, busy, retry: () => setRetry((n) => n + 1) };
}

/** The dialog a page has open; done closes it after a change, says so and reloads. */
export function useModal<M>(refresh: () => void) {
  const session = useSession();
  const [modal, setModal] = useState<M | null>(null);
  const done = (notice: string) => {
    setModal(null);
    session.notify(notice);
    refresh();
  };
  return { modal, setModal, close: () => setModal(null), done };
}

/** The question before deleting a `what` ("persona"), with the danger button. */
export function DeleteDialog(props: {
  what: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  sentences?: Record<string, Sentence>;
  children: ComponentChildren;
}) {
  return (
    <ConfirmDialog
      title={"Delete " + props.what}
      confirmLabel={"Yes, delete " + props.what}
      danger
      onClose={props.onClose}
      onConfirm={props.onConfirm}
      sentences={props.sentences}
    >
      {props.children}
    </ConfirmDialog>
  );
}
