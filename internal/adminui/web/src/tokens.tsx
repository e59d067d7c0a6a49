// The API tokens page: the sortable, filterable table. A row opens the
// token's page; its "⋯" menu holds the actions (tokenactions.tsx).
import { useEffect, useMemo, useState } from "preact/hooks";
import { APIToken, Connection, Persona, Q, TokenStatus, TokenType, gql, nodes, readable } from "./api";
import { AppLink, Avatar, ErrorBanner, Pager, statusLabels, typeLabels, useDebounced, useSession } from "./ui";
import { Page, TableWrap, usePages } from "./page";
import { RowMenu } from "./menu";
import { FilterIcon, PlusIcon } from "./icons";
import { When, expiresSoon } from "./dates";
import { pinnedTokens, useTokenActions } from "./tokenactions";
import { navigate, tokenPath } from "./nav";
import { firstPage, pageDefaults, useQueryState } from "./urlstate";

/** The persona with this id (for the filter's label), once loaded. */
function usePersona(id: string): Persona | null {
  const session = useSession();
  const [p, setP] = useState<Persona | null>(null);
  useEffect(() => {
    setP(null);
    if (!id || !session.can("persona", "read")) return;
    let live = true;
    gql<{ node: Persona | null }>(Q.persona, { id })
      .then((d) => live && setP(d.node))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [id]);
  return p;
}

type SortField = "NAME" | "CODE" | "TYPE" | "CREATED_AT" | "UPDATED_AT" | "LAST_USED_AT" | "EXPIRES_AT";
interface Sort {
  field: SortField;
  direction: "ASC" | "DESC";
}

interface Column {
  key: string;
  label: string;
  sort?: SortField;
  /** Dropped first (3), then (2), as the table narrows; see styles.css. */
  priority?: 2 | 3;
  render: (t: APIToken, isNew: boolean) => preact.ComponentChildren;
}

/** The status badge, and "Expires soon" for an active token with a week or less left. */
export function StatusBadges(props: { token: APIToken }) {
  const t = props.token;
  return (
    <span class="badges">
      <span class={"badge badge-" + t.status.toLowerCase()}>{statusLabels[t.status]}</span>
      {t.status === "ACTIVE" && expiresSoon(t.expiresAt) && <span class="badge badge-soon">Expires soon</span>}
    </span>
  );
}

const columns: Column[] = [
  {
    key: "name",
    label: "Name",
    sort: "NAME",
    render: (t, isNew) => (
      <>
        <AppLink class="token-name" href={tokenPath(t.id)}>
          {t.name}
        </AppLink>
        {isNew && <span class="badge badge-new">New</span>}
        <code class="token-code">{t.code}</code>
      </>
    ),
  },
  { key: "description", label: "Description", priority: 3, render: (t) => <span class="clamp">{t.description}</span> },
  { key: "type", label: "Access level", sort: "TYPE", render: (t) => typeLabels[t.type] },
  { key: "status", label: "Status", render: (t) => <StatusBadges token={t} /> },
  { key: "hint", label: "Token", priority: 2, render: (t) => <code class="hint-code">{t.hint}</code> },
  {
    key: "persona",
    label: "Persona",
    render: (t) =>
      t.persona && (
        <span class="persona-cell">
          <Avatar name={t.persona.name} url={t.persona.avatarURL} size={22} />
          <span class="persona-name">{t.persona.name}</span>
        </span>
      ),
  },
  { key: "created", label: "Created", sort: "CREATED_AT", priority: 3, render: (t) => <When iso={t.createdAt} /> },
  { key: "lastUsed", label: "Last used", sort: "LAST_USED_AT", priority: 2, render: (t) => <When iso={t.lastUsedAt} empty="Never" /> },
  { key: "expires", label: "Expires", sort: "EXPIRES_AT", render: (t) => <When iso={t.expiresAt} empty="Never" /> },
];

// The list's state in the URL: sort, filters (never the token value) and page.
const listDefaults = { sort: "NAME", dir: "ASC", name: "", type: "", status: "", persona: "", ...pageDefaults };

/**
 * What the token box filters by: a whole secret (its hash is looked up), or
 * the hint the list shows ("lk_Ab3dE9…", or the start of it). Anything else
 * filters nothing and says what to paste.
 */
export function tokenFilter(value: string): { where: Record<string, string>; advice: string } {
  const v = value.trim();
  if (!v) return { where: {}, advice: "" };
  // Secrets are at least 32 characters; generated ones are lk_ and 46 more.
  if (v.length >= 32) return { where: { secret: v }, advice: "" };
  const hint = v.replace(/(…|\.\.\.)$/, "");
  if ((hint.startsWith("lk_") && hint.length <= 9) || (!hint.startsWith("lk_") && hint.length <= 4 && v.endsWith("…")))
    return { where: { hintHasPrefix: hint }, advice: "" };
  return { where: {}, advice: "Paste the whole token, or its hint as the list shows it (such as lk_Ab3dE9…)." };
}

/** A click on a row that did not land on one of its controls opens the token. */
function openRow(e: MouseEvent, t: APIToken) {
  const target = e.target as HTMLElement;
  if (target.closest("a, button, input, select, label, [role=menu]")) return;
  if (getSelection()?.toString()) return;
  navigate(tokenPath(t.id));
}

export function TokensPage() {
  const session = useSession();
  const [q, setQ] = useQueryState(listDefaults);
  const sort: Sort = { field: q.sort as SortField, direction: q.dir === "DESC" ? "DESC" : "ASC" };
  const setSort = (s: Sort) => setQ({ sort: s.field, dir: s.direction, ...firstPage }, "push");
  const [secret, setSecret] = useState("");
  const filters = { name: q.name, secret, type: q.type as "" | TokenType, status: q.status as "" | TokenStatus };
  const [showFilters, setShowFilters] = useState(!!(q.name || q.type || q.status));
  const debounced: typeof filters = JSON.parse(useDebounced(JSON.stringify(filters), 300));
  const [reload, setReload] = useState(0);
  const refresh = () => setReload((n) => n + 1);
  const actions = useTokenActions({ refresh });

  const byToken = tokenFilter(debounced.secret);
  const where = useMemo(() => {
    const w: Record<string, string> = {};
    if (debounced.name.trim()) w.nameContainsFold = debounced.name.trim();
    Object.assign(w, byToken.where);
    if (debounced.type) w.type = debounced.type;
    if (debounced.status) w.status = debounced.status;
    return w;
  }, [debounced.name, debounced.secret, debounced.type, debounced.status]);
  // Only the tokens that act as one persona (a link from the personas page).
  const personaWhere = q.persona ? { hasPersonaWith: [{ id: q.persona }] } : {};
  const persona = usePersona(q.persona);
  const filtering = Object.keys(where).length > 0 || !!q.persona;

  const [pinned, setPinned] = useState<APIToken[]>([]);
  const {
    data,
    items: tokens,
    error,
    pager,
    busy,
    retry,
  } = usePages<APIToken>(
    async (req) => {
      const ids = pinnedTokens();
      const d = await gql<{ apiTokens: Connection<APIToken>; pinned?: Connection<APIToken> }>(Q.tokens, {
        ...req,
        orderBy: sort,
        where: { ...where, ...personaWhere },
        // Tokens made since the page loaded head the list (if the filters let them).
        withPinned: ids.length > 0,
        pinnedWhere: { ...where, ...personaWhere, idIn: ids },
        ...readable(session.can),
      });
      const fresh = d.pinned ? nodes(d.pinned) : [];
      setPinned(ids.map((id) => fresh.find((t) => t.id === id)).filter((t): t is APIToken => !!t));
      return d.apiTokens;
    },
    q,
    setQ,
    [reload, JSON.stringify(where), q.persona, sort.field, sort.direction],
  );
  const pinnedIDs = new Set(pinned.map((t) => t.id));
  const rows: [APIToken, boolean][] = [...pinned.map((t) => [t, true] as [APIToken, boolean]), ...tokens.filter((t) => !pinnedIDs.has(t.id)).map((t) => [t, false] as [APIToken, boolean])];
  const canCreate = session.can("api-token", "create");

  const set = (k: "name" | "type" | "status") => (e: Event) => setQ({ [k]: (e.target as HTMLInputElement).value, ...firstPage });
  const sortBy = (f: SortField) => setSort(sort.field === f ? { field: f, direction: sort.direction === "ASC" ? "DESC" : "ASC" } : { field: f, direction: "ASC" });

  return (
    <Page
      id="tokens-title"
      title="API tokens"
      actions={
        <>
          <button
            type="button"
            class="button"
            aria-expanded={showFilters}
            aria-controls="token-filters"
            onClick={() => setShowFilters(!showFilters)}
          >
            <FilterIcon /> Filter results{filtering ? ` (${Object.keys(where).length + (q.persona ? 1 : 0)})` : ""}
          </button>
          {canCreate && (
            <button type="button" class="button primary" data-testid="create-token" onClick={actions.create}>
              <PlusIcon /> Create new API token
            </button>
          )}
        </>
      }
      intro={
        <>
          Tokens let services and people call the Latchkey API. A secret is shown once, when it is created or regenerated;
          afterwards only its hint is kept. Open a token for its details.
        </>
      }
    >
      {showFilters && (
        <form id="token-filters" class="filters card" role="search" aria-label="Filter API tokens" onSubmit={(e) => e.preventDefault()}>
          <div class="field">
            <label for="filter-name">Name</label>
            <input id="filter-name" type="search" placeholder="Part of a name" value={filters.name} onInput={set("name")} />
          </div>
          <div class="field">
            <label for="filter-secret">Token or hint</label>
            <input
              id="filter-secret"
              type="password"
              placeholder="lk_Ab3dE9… or the whole token"
              autocomplete="off"
              spellcheck={false}
              value={filters.secret}
              aria-describedby={byToken.advice ? "filter-secret-advice" : undefined}
              aria-invalid={byToken.advice ? "true" : undefined}
              onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
            />
            {byToken.advice && (
              <p class="error" id="filter-secret-advice" role="alert">
                {byToken.advice}
              </p>
            )}
          </div>
          <div class="field">
            <label for="filter-type">Access level</label>
            <select id="filter-type" value={filters.type} onChange={set("type")}>
              <option value="">Any</option>
              <option value="READ_ONLY">Read-only</option>
              <option value="FULL_ACCESS">Full access</option>
              <option value="CUSTOM">Custom</option>
            </select>
          </div>
          <div class="field">
            <label for="filter-status">Status</label>
            <select id="filter-status" value={filters.status} onChange={set("status")}>
              <option value="">Any</option>
              <option value="ACTIVE">Active</option>
              <option value="EXPIRED">Expired</option>
              <option value="REVOKED">Revoked</option>
            </select>
          </div>
          <div class="filters-actions">
            <button
              type="button"
              class="button"
              disabled={!filtering && !filters.name && !filters.secret && !filters.type && !filters.status && !q.persona}
              onClick={() => {
                setSecret("");
                setQ({ name: "", type: "", status: "", persona: "", ...firstPage });
              }}
            >
              Clear filters
            </button>
          </div>
        </form>
      )}

      {q.persona && (
        <p class="filter-chip" data-testid="persona-filter">
          <span>
            Tokens acting as{" "}
            {persona ? (
              <span class="persona-cell">
                <Avatar name={persona.name} url={persona.avatarURL} size={20} /> <strong>{persona.name}</strong>
              </span>
            ) : (
              "one persona"
            )}
          </span>
          <button type="button" class="button small" onClick={() => setQ({ persona: "", ...firstPage }, "push")}>
            Show all tokens
          </button>
        </p>
      )}
      <ErrorBanner text={error} onRetry={error ? retry : undefined} />

      {data && rows.length === 0 && !filtering ? (
        <div class="empty card" data-testid="tokens-empty">
          <h2>No API tokens yet</h2>
          <p>Create your first API token to let a service or a script call Latchkey.</p>
          {canCreate && (
            <button type="button" class="button primary" onClick={actions.create}>
              Create your first API token
            </button>
          )}
        </div>
      ) : (
        <TableWrap cardsBelow={860}>
          <div class="sort-narrow">
            <label for="sort-narrow">Sort by</label>
            <select
              id="sort-narrow"
              value={sort.field + " " + sort.direction}
              onChange={(e) => {
                const [field, direction] = (e.target as HTMLSelectElement).value.split(" ");
                setSort({ field: field as SortField, direction: direction as Sort["direction"] });
              }}
            >
              {columns
                .filter((c) => c.sort)
                .flatMap((c) => [
                  <option key={c.key + "a"} value={c.sort + " ASC"}>
                    {c.label} ▲ ascending
                  </option>,
                  <option key={c.key + "d"} value={c.sort + " DESC"}>
                    {c.label} ▼ descending
                  </option>,
                ])}
            </select>
          </div>
          <table class="data-table tokens-table" aria-labelledby="tokens-title" aria-busy={busy}>
            <thead>
              <tr>
                {columns.map((c) => {
                  const active = c.sort && sort.field === c.sort;
                  return (
                    <th
                      key={c.key}
                      scope="col"
                      data-col={c.key}
                      data-priority={c.priority}
                      aria-sort={active ? (sort.direction === "ASC" ? "ascending" : "descending") : undefined}
                    >
                      {c.sort ? (
                        <button type="button" class="sort-button" onClick={() => sortBy(c.sort!)}>
                          {c.label}
                          <span class={"sort-arrow" + (active ? " active" : "")} aria-hidden="true">
                            {active ? (sort.direction === "ASC" ? "▲" : "▼") : "↕"}
                          </span>
                        </button>
                      ) : (
                        c.label
                      )}
                    </th>
                  );
                })}
                <th scope="col" class="row-actions">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map(([t, isNew]) => (
                <tr
                  key={t.id}
                  class={"clickable-row" + (isNew ? " row-new" : "")}
                  data-token-id={t.id}
                  data-token-name={t.name}
                  data-new={isNew ? "" : undefined}
                  onClick={(e) => openRow(e, t)}
                >
                  {columns.map((c) => (
                    <td key={c.key} data-col={c.key} data-label={c.label} data-priority={c.priority}>
                      {c.render(t, isNew)}
                    </td>
                  ))}
                  <td class="row-actions">
                    <RowMenu name={t.name} items={actions.items(t)} />
                  </td>
                </tr>
              ))}
              {!data &&
                [0, 1, 2, 3, 4].map((i) => (
                  <tr key={"skeleton" + i} class="skeleton-row" aria-hidden="true">
                    {columns.map((c) => (
                      <td key={c.key} data-col={c.key} data-priority={c.priority}>
                        <span class="skeleton" />
                      </td>
                    ))}
                    <td class="row-actions" />
                  </tr>
                ))}
              {data && rows.length === 0 && (
                <tr>
                  <td colSpan={columns.length + 1} class="no-match" data-testid="tokens-no-match">
                    No API tokens match these filters.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      {pager && (tokens.length > 0 || filtering) && <Pager {...pager} noun="token" top="tokens-title" />}
      {actions.dialogs}
    </Page>
  );
}
