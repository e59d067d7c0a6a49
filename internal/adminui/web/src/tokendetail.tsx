// A token's own page, /admin/tokens/<id>: everything the API knows about it,
// in sections (a list, so that more can follow: limits, usage, events), and
// the same actions as the list's "⋯" menu, as labelled buttons.
import { useEffect, useState } from "preact/hooks";
import { APIToken, Connection, ContentType, Permission, Q, RateLimit, gql, nodes, readable } from "./api";
import { message } from "./errors";
import { AppLink, Avatar, ErrorBanner, typeLabels, useSession } from "./ui";
import { DataTable } from "./page";
import { When } from "./dates";
import { StatusBadges } from "./tokens";
import { useTokenActions } from "./tokenactions";
import { base, navigate, tokenPath } from "./nav";
import { AuditEvent, AuditRow, auditColumns } from "./audit";
import { personaTokensPath } from "./personas";
import { UsageChart } from "./usagechart";
import { limitText } from "./ratelimits";

export interface TokenDetail extends APIToken {
  updatedAt: string;
  lastUsedIP: string | null;
  effectivePermissions: Permission[];
  createdBy: { id: string; name: string } | null;
  personaPolicy?: { externalID: string | null; rateLimits: RateLimit[] } | null;
  events: WebhookEvent[];
}

interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string;
  deliveries: {
    id: string;
    status: string;
    attempts: number;
    lastResponseCode: number | null;
    lastError: string;
    deliveredAt: string | null;
    createdAt: string;
    endpoint?: { id: string; url: string };
  }[];
}

interface Loaded {
  token: TokenDetail | null;
  changes?: Connection<AuditEvent>;
  acts?: Connection<AuditEvent>;
  contentTypes?: Connection<ContentType>;
}

/** One section of the page: a heading and what goes under it; absent when it has nothing to show. */
interface Section {
  id: string;
  title: string;
  body: preact.ComponentChildren;
}

export function TokenDetailPage(props: { id: string }) {
  const session = useSession();
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState("");
  const [reload, setReload] = useState(0);
  const actions = useTokenActions({ refresh: () => setReload((n) => n + 1), onDeleted: () => navigate("tokens") });

  useEffect(() => {
    let live = true;
    gql<{ node: TokenDetail | null; changes?: Connection<AuditEvent>; acts?: Connection<AuditEvent>; contentTypes?: Connection<ContentType> }>(Q.tokenDetail, {
      id: props.id,
      target: props.id,
      ...readable(session.can),
      withAudit: session.can("audit-event", "read"),
      withCatalog: session.can("content-type", "read"),
      withWebhooks: session.can("webhook", "read"),
    })
      .then((d) => {
        if (!live) return;
        setData({ token: d.node, changes: d.changes, acts: d.acts, contentTypes: d.contentTypes });
        setError("");
      })
      .catch((e) => live && setError(message(e)));
    return () => {
      live = false;
    };
  }, [props.id, reload]);

  const t = data?.token;
  useEffect(() => {
    document.title = (t ? t.name + " · " : "") + "API tokens · Latchkey admin";
  }, [t?.name]);

  const back = (
    <AppLink class="back-link" href={base + "tokens"}>
      ← API tokens
    </AppLink>
  );

  if (!data) {
    return (
      <section class="page token-detail" aria-busy={!error}>
        {back}
        <ErrorBanner text={error} />
        {!error && <p class="muted">Loading…</p>}
      </section>
    );
  }
  if (!t) {
    return (
      <section class="page token-detail">
        {back}
        <div class="empty card">
          <h1>No such API token</h1>
          <p>It may have been deleted.</p>
        </div>
      </section>
    );
  }

  const sections = tokenSections(t, data);
  return (
    <section class="page token-detail" aria-labelledby="token-title" data-token-id={t.id}>
      {back}
      <div class="page-head">
        <h1 id="token-title" class="token-title">
          {t.name}
        </h1>
        <div class="page-actions detail-actions">
          {actions.items(t).map((it) => (
            <button key={it.action} type="button" class={"button" + (it.danger ? " danger-outline" : "")} data-action={it.action} onClick={it.run}>
              {it.label}
            </button>
          ))}
        </div>
      </div>
      <p class="page-intro">
        <code>{t.code}</code> · <StatusBadges token={t} /> {t.description && <> · {t.description}</>}
      </p>
      <ErrorBanner text={error} />
      <nav class="section-nav" aria-label="Sections of this page">
        {sections.map((s) => (
          <a key={s.id} href={tokenPath(t.id) + "#" + s.id}>
            {s.title}
          </a>
        ))}
      </nav>
      {sections.map((s) => (
        <section key={s.id} id={s.id} class="card detail-section" aria-labelledby={s.id + "-title"}>
          <h2 id={s.id + "-title"}>{s.title}</h2>
          {s.body}
        </section>
      ))}
      {actions.dialogs}
    </section>
  );
}

/** Facts as a two-column list: term, then what it is. */
function Facts(props: { rows: [string, preact.ComponentChildren][] }) {
  return (
    <dl class="facts">
      {props.rows.map(([k, v]) => (
        <div key={k} class="fact">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Permissions grouped by content type: "API tokens: read, create". */
function PermissionList(props: { permissions: Permission[]; contentTypes: ContentType[]; empty: string }) {
  const byType = new Map<string, string[]>();
  for (const p of props.permissions) byType.set(p.contentType, [...(byType.get(p.contentType) ?? []), p.action]);
  if (byType.size === 0) return <p class="muted">{props.empty}</p>;
  const label = (uid: string) => props.contentTypes.find((c) => c.uid === uid)?.displayName ?? uid;
  return (
    <ul class="perm-summary perm-list">
      {[...byType].map(([ct, acts]) => (
        <li key={ct} data-content-type={ct}>
          <span>{label(ct)}</span> <code class="muted">{ct}</code>: {acts.join(", ")}
        </li>
      ))}
    </ul>
  );
}

function AuditTable(props: { events: Connection<AuditEvent>; label: string; empty: string }) {
  const events = nodes(props.events);
  if (events.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <>
      <DataTable head={auditColumns} class="audit-table" busy={false}>
        {events.map((ev) => (
          <AuditRow key={ev.id} ev={ev} />
        ))}
      </DataTable>
      {props.events.totalCount > events.length && (
        <p class="hint">
          The latest {events.length} of {props.events.totalCount}; the audit log has them all.
        </p>
      )}
    </>
  );
}

/** The page's sections, in order. New kinds of facts about a token get a section here. */
function tokenSections(t: TokenDetail, data: Loaded): Section[] {
  const contentTypes = data.contentTypes ? nodes(data.contentTypes) : [];
  const sections: Section[] = [
    {
      id: "overview",
      title: "Overview",
      body: (
        <Facts
          rows={[
            ["Access level", typeLabels[t.type]],
            ["Token", <code class="hint-code">{t.hint}</code>],
            [
              "Persona",
              t.persona ? (
                <>
                  <span class="persona-cell">
                    <Avatar name={t.persona.name} url={t.persona.avatarURL} size={28} />
                    <span class="persona-name">{t.persona.name}</span>
                  </span>{" "}
                  <AppLink class="persona-tokens-link" href={personaTokensPath(t.persona.id)}>
                    Its tokens
                  </AppLink>
                </>
              ) : (
                <span class="muted">Hidden (you may not read personas)</span>
              ),
            ],
            ["Expires", <When iso={t.expiresAt} empty="Never" mode="both" />],
            ["Last used", <When iso={t.lastUsedAt} empty="Never" mode="both" />],
            ["Last used from", t.lastUsedIP ? <code data-testid="last-used-ip">{t.lastUsedIP}</code> : <span class="muted">—</span>],
            ["Created", <When iso={t.createdAt} mode="both" />],
            [
              "Created by",
              t.createdBy ? (
                <AppLink href={tokenPath(t.createdBy.id)}>{t.createdBy.name}</AppLink>
              ) : (
                <span class="muted">Latchkey itself (bootstrap or recovery), or a token since deleted</span>
              ),
            ],
            ["Updated", <When iso={t.updatedAt} mode="both" />],
          ]}
        />
      ),
    },
    {
      id: "permissions",
      title: "Permissions",
      body: (
        <>
          <p class="hint">
            {t.type === "CUSTOM"
              ? "What the token may do: its roles' permissions and its own."
              : t.type === "READ_ONLY"
                ? "A read-only token may do every read-only action on every content type."
                : "A full-access token may do everything."}
          </p>
          {t.type === "CUSTOM" && (
            <Facts
              rows={[
                ["Roles", t.roles === undefined || t.roles === null ? <span class="muted">Hidden (you may not read roles)</span> : t.roles.length ? t.roles.map((r) => r.name).join(", ") : <span class="muted">None</span>],
                ["Own permissions", <PermissionList permissions={t.permissions} contentTypes={contentTypes} empty="None" />],
              ]}
            />
          )}
          <h3 class="subhead">Effective permissions</h3>
          <div data-testid="effective-permissions">
            <PermissionList permissions={t.effectivePermissions} contentTypes={contentTypes} empty="None: this token may do nothing." />
          </div>
        </>
      ),
    },
  ];
  sections.push(
    { id: "usage", title: "Usage", body: <UsageChart tokenId={t.id} /> },
    { id: "limits", title: "Limits and conditions", body: <PolicyFacts t={t} /> },
    {
      id: "events",
      title: "Events and webhook deliveries",
      body: <EventList events={t.events} />,
    },
  );
  if (data.changes) {
    sections.push({
      id: "audit",
      title: "Audit trail",
      body: (
        <>
          <h3 class="subhead">Changes to this token</h3>
          <AuditTable events={data.changes} label="Changes to this token" empty="No changes recorded." />
          {data.acts && (
            <>
              <h3 class="subhead">Changes made with this token</h3>
              <AuditTable events={data.acts} label="Changes made with this token" empty="This token has changed nothing." />
            </>
          )}
        </>
      ),
    });
  }
  return sections;
}

function Limits(props: { limits: RateLimit[] | undefined; empty: string }) {
  const ls = props.limits ?? [];
  if (ls.length === 0) return <span class="muted">{props.empty}</span>;
  return (
    <ul class="plain-list">
      {ls.map((l) => (
        <li key={l.name} data-limit={l.name}>
          <code>{l.name}</code>: {limitText(l)}
        </li>
      ))}
    </ul>
  );
}

const refillWords = { DAILY: "every day at 00:00 UTC", MONTHLY: "on the 1st of every month" };

/** Rate limits, credits, conditions and metadata: what verification checks besides permissions. */
function PolicyFacts(props: { t: TokenDetail }) {
  const t = props.t;
  const c = t.credits;
  const meta = t.metadata && Object.keys(t.metadata).length ? JSON.stringify(t.metadata, null, 2) : "";
  return (
    <>
      <Facts
        rows={[
          ["Rate limits", <Limits limits={t.rateLimits} empty="None of its own" />],
          [
            "Its persona’s rate limits",
            t.personaPolicy ? <Limits limits={t.personaPolicy.rateLimits} empty="None" /> : <span class="muted">Hidden (you may not read personas)</span>,
          ],
          [
            "Credits",
            c ? (
              <span data-testid="credits">
                <strong>{c.remaining.toLocaleString("en")}</strong> left
                {c.refillAmount && c.refillInterval ? (
                  <>
                    ; {c.refillMode === "ADD" ? "adds" : "resets to"} {c.refillAmount.toLocaleString("en")} {refillWords[c.refillInterval]}
                  </>
                ) : (
                  <>; never refilled</>
                )}
              </span>
            ) : (
              <span class="muted">Unlimited uses</span>
            ),
          ],
          ["Last refill", c ? <When iso={c.lastRefillAt} empty="Not yet" mode="both" /> : <span class="muted">—</span>],
          [
            "Allowed networks",
            t.allowedNetworks?.length ? (
              <ul class="plain-list" data-testid="allowed-networks">
                {t.allowedNetworks.map((n) => (
                  <li key={n}>
                    <code>{n}</code>
                  </li>
                ))}
              </ul>
            ) : (
              <span class="muted">Anywhere</span>
            ),
          ],
          ["Not before", <When iso={t.notBefore} empty="No start time: valid at once" mode="both" />],
          ["Self-rotation", t.allowSelfRotation ? "Allowed: it may roll its own secret" : <span class="muted">Not allowed</span>],
          [
            "Persona’s external ID",
            t.personaPolicy ? (
              t.personaPolicy.externalID ? <code>{t.personaPolicy.externalID}</code> : <span class="muted">None</span>
            ) : (
              <span class="muted">Hidden (you may not read personas)</span>
            ),
          ],
        ]}
      />
      <h3 class="subhead">Metadata</h3>
      {meta ? (
        <pre class="metadata" data-testid="metadata" tabIndex={0} aria-label="Metadata as JSON">
          {meta}
        </pre>
      ) : (
        <p class="muted">None.</p>
      )}
    </>
  );
}

const deliveryWords: Record<string, string> = { PENDING: "pending", DELIVERED: "delivered", FAILED: "failed" };

/** The token's recent events (the outbox's, as webhooks receive them) and where each was delivered. */
function EventList(props: { events: WebhookEvent[] }) {
  if (!props.events?.length) return <p class="muted">No events about this token are kept (they are kept as long as their deliveries).</p>;
  return (
    <DataTable head={["When", "Event", "Deliveries"]} class="events-table" cardsBelow={700}>
      {props.events.map((ev) => (
        <tr key={ev.id} data-event-type={ev.type}>
          <td data-label="When">
            <When iso={ev.createdAt} mode="absolute" />
          </td>
          <td data-label="Event">
            <code>{ev.type}</code>
          </td>
          <td data-label="Deliveries">
            {ev.deliveries.length === 0 ? (
              <span class="muted">No endpoint subscribed</span>
            ) : (
              <ul class="plain-list">
                {ev.deliveries.map((d) => (
                  <li key={d.id} data-delivery-status={d.status}>
                    <span class={"badge delivery-" + d.status.toLowerCase()}>{deliveryWords[d.status] ?? d.status.toLowerCase()}</span>{" "}
                    {d.endpoint ? <code class="endpoint-url">{d.endpoint.url}</code> : <span class="muted">an endpoint</span>}
                    <span class="muted">
                      {" "}
                      · {d.attempts} {d.attempts === 1 ? "attempt" : "attempts"}
                      {d.lastResponseCode ? ` · HTTP ${d.lastResponseCode}` : ""}
                      {d.lastError ? ` · ${d.lastError}` : ""}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
