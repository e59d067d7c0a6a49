// The audit log: who did what to which record, newest first.
import { useEffect, useMemo, useState } from "preact/hooks";
import { Connection, Q, gql, nodes } from "./api";
import { ErrorBanner, Pager, useDebounced, useSession } from "./ui";
import { firstPage, pageDefaults, useQueryState } from "./urlstate";
import { Column, DataTable, Page, usePages } from "./page";
import { When } from "./dates";

export interface AuditEvent {
  id: string;
  createdAt: string;
  action: string;
  actorTokenID: string;
  actorTokenName: string;
  actorPersonaName: string;
  targetType: string;
  targetID: string;
  targetName: string;
  clientIP: string;
  changes: string[];
}

const knownActions = ["create", "update", "delete", "regenerate", "revoke", "restore"].flatMap((a) =>
  ["api-token", "role", "persona", "content-type"].map((t) => `${t}.${a}`),
);

// The log's filters and page, kept in the URL.
const logDefaults = { action: "", actor: "", target: "", from: "", to: "", ...pageDefaults, size: "50" };
type Filters = { action: string; actor: string; target: string; from: string; to: string };
const empty: Filters = { action: "", actor: "", target: "", from: "", to: "" };

export function AuditPage() {
  const session = useSession();
  const [q, setQ] = useQueryState(logDefaults);
  const filters: Filters = { action: q.action, actor: q.actor, target: q.target, from: q.from, to: q.to };
  const debounced: Filters = JSON.parse(useDebounced(JSON.stringify(filters), 300));
  const [tokens, setTokens] = useState<{ id: string; name: string }[]>([]);

  useEffect(() => {
    if (!session.can("api-token", "read")) return;
    gql<{ apiTokens: Connection<{ id: string; name: string }> }>(Q.tokenNames)
      .then((d) => setTokens(nodes(d.apiTokens)))
      .catch(() => {});
  }, []);

  const where = useMemo(() => {
    const w: Record<string, string> = {};
    const f = debounced;
    if (f.action.trim()) w.actionContains = f.action.trim();
    if (f.actor) w.actorTokenID = f.actor;
    if (f.target.trim()) w.targetNameContainsFold = f.target.trim();
    if (f.from) w.createdAtGTE = new Date(f.from + "T00:00:00").toISOString();
    if (f.to) w.createdAtLTE = new Date(f.to + "T23:59:59.999").toISOString();
    return w;
  }, [JSON.stringify(debounced)]);

  const { data, items: events, error, pager, busy, retry } = usePages<AuditEvent>(
    (req) => gql<{ auditEvents: Connection<AuditEvent> }>(Q.auditEvents, { ...req, where }).then((d) => d.auditEvents),
    q,
    setQ,
    [JSON.stringify(where)],
  );
  const set = (k: keyof Filters) => (e: Event) => setQ({ [k]: (e.target as HTMLInputElement).value, ...firstPage });

  return (
    <Page
      id="audit-title"
      title="Audit log"
      intro="Every change made through Latchkey, with the token and persona that made it. Secrets never appear here."
    >
      <form class="filters card" role="search" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="audit-action">Action</label>
          <input id="audit-action" type="search" list="audit-actions" placeholder="e.g. api-token.create" value={filters.action} onInput={set("action")} />
          <datalist id="audit-actions">
            {knownActions.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </div>
        <div class="field">
          <label for="audit-actor">Actor token</label>
          {tokens.length > 0 ? (
            <select id="audit-actor" value={filters.actor} onChange={set("actor")}>
              <option value="">Any</option>
              {tokens.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          ) : (
            <input id="audit-actor" type="search" placeholder="Token ID" value={filters.actor} onInput={set("actor")} />
          )}
        </div>
        <div class="field">
          <label for="audit-target">Target name</label>
          <input id="audit-target" type="search" placeholder="Part of a name" value={filters.target} onInput={set("target")} />
        </div>
        <div class="field">
          <label for="audit-from">From</label>
          <input id="audit-from" type="date" value={filters.from} onInput={set("from")} />
        </div>
        <div class="field">
          <label for="audit-to">To</label>
          <input id="audit-to" type="date" value={filters.to} onInput={set("to")} />
        </div>
        <div class="filters-actions">
          <button type="button" class="button" onClick={() => setQ({ ...empty, ...firstPage })}>
            Clear filters
          </button>
        </div>
      </form>
      <ErrorBanner text={error} onRetry={error ? retry : undefined} />
      <DataTable head={auditColumns} class="audit-table" labelledBy="audit-title" busy={busy} cardsBelow={700}>
        {events.map((ev) => (
          <AuditRow key={ev.id} ev={ev} />
        ))}
        {data && events.length === 0 && (
          <tr>
            <td colSpan={auditColumns.length} class="no-match">
              No events match.
            </td>
          </tr>
        )}
      </DataTable>
      {pager && <Pager {...pager} noun="event" top="audit-title" />}
    </Page>
  );
}

export const auditColumns: Column[] = [
  { label: "When" },
  { label: "Action" },
  { label: "Actor" },
  { label: "Target" },
  { label: "Changes", priority: 3 },
  { label: "Client IP", priority: 2 },
];

/** One event: the moment in full (seconds and UTC offset), who, what, to which record. */
export function AuditRow(props: { ev: AuditEvent }) {
  const ev = props.ev;
  return (
    <tr data-event-id={ev.id}>
      <td data-label="When" class="audit-when">
        <When iso={ev.createdAt} mode="absolute" />
      </td>
      <td data-label="Action">
        <code>{ev.action}</code>
      </td>
      <td data-label="Actor">
        {ev.actorPersonaName || "—"}
        {ev.actorTokenName && <span class="muted"> via “{ev.actorTokenName}”</span>}
      </td>
      <td data-label="Target">
        <span class="muted">{ev.targetType}</span> {ev.targetName}
      </td>
      <td data-label="Changes" data-priority={3}>
        {ev.changes.join(", ")}
      </td>
      <td data-label="Client IP" data-priority={2}>
        <code>{ev.clientIP}</code>
      </td>
    </tr>
  );
}
