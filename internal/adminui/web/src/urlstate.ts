// State kept in the address's query string, so that Back, reload and a
// shared link give the same view. Values are strings; a value equal to its
// default is left out of the URL.
import { useEffect, useRef, useState } from "preact/hooks";

export type QueryState = Record<string, string>;

function read<S extends QueryState>(defaults: S): S {
  const q = new URLSearchParams(location.search);
  const s: QueryState = { ...defaults };
  for (const k of Object.keys(defaults)) {
    const v = q.get(k);
    if (v !== null) s[k] = v;
  }
  return s as S;
}

/**
 * The state and its setter. set(patch) replaces the current history entry
 * (typing in a filter); set(patch, "push") makes a new one (a page turned),
 * so Back returns to it. Back and Forward read the URL again.
 */
export function useQueryState<S extends QueryState>(defaults: S): [S, (patch: Partial<S>, mode?: "push" | "replace") => void] {
  const [state, setState] = useState<S>(() => read(defaults));
  const latest = useRef(state);
  latest.current = state;
  useEffect(() => {
    const on = () => setState(read(defaults));
    addEventListener("popstate", on);
    return () => removeEventListener("popstate", on);
  }, []);
  const set = (patch: Partial<S>, mode: "push" | "replace" = "replace") => {
    const next = { ...latest.current, ...patch } as S;
    latest.current = next;
    const q = new URLSearchParams();
    for (const k of Object.keys(defaults)) if (next[k] !== defaults[k]) q.set(k, next[k]);
    const url = location.pathname + (q.size ? "?" + q.toString() : "") + location.hash;
    if (mode === "push") history.pushState(null, "", url);
    else history.replaceState(null, "", url);
    setState(next);
  };
  return [state, set];
}

/** Where a paged list is: page number (from 1), page size, and the cursor that reaches the page. */
export const pageDefaults = { page: "1", size: "20", after: "", before: "", last: "" };
export type PageQuery = typeof pageDefaults;

/** Back to the first page: for a new sort or filter. */
export const firstPage: Partial<PageQuery> = { page: "1", after: "", before: "", last: "" };

export const pageSizes = [10, 20, 50, 100];
