// Webhook endpoints: the addresses that receive signed events. The list
// shows each endpoint's health; an endpoint's page lists its deliveries,
// newest first, with Redeliver. The signing secret is shown once, on create.
import { useEffect, useState } from "preact/hooks";
import { Connection, gql } from "./api";
import { message } from "./errors";
import { AppLink, Checkbox, ErrorBanner, FormDialog, FormField, GroupError, Pager, ShowOnceDialog, useForm, useSession } from "./ui";
import { CreateButton, DataTable, DeleteDialog, Page, RowButton, useModal, usePages } from "./page";
import { RowMenu } from "./menu";
import { RegenerateIcon } from "./icons";
import { When } from "./dates";
import { base, navigate } from "./nav";
import { pageDefaults, useQueryState } from "./urlstate";
import { checkWebhookURL, problems } from "./validate";

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastAttemptAt: string | null;
  lastAttemptOK: boolean | null;
  lastResponseCode: number | null;
  consecutiveFailures: number;
}

export type DeliveryStatus = "PENDING" | "DELIVERED" | "FAILED";

export interface WebhookDelivery {
  id: string;
  createdAt: string;
  eventID: string;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  lastResponseCode: number | null;
  lastError: string;
  nextAttemptAt: string;
  deliveredAt: string | null;
}

const endpointFields = `id url events enabled createdAt updatedAt lastAttemptAt lastAttemptOK lastResponseCode consecutiveFailures`;
const deliveryFields = `id createdAt eventID event status attempts lastResponseCode lastError nextAttemptAt deliveredAt`;

const W = {
  endpoints: `query WebhookEndpoints($first: Int, $after: Cursor, $last: Int, $before: Cursor) {
    webhookEndpoints(first: $first, after: $after, last: $last, before: $before, orderBy: {field: URL, direction: ASC}) {
      totalCount pageInfo { hasNextPage startCursor endCursor } edges { node { ${endpointFields} } } } }`,
  endpoint: `query WebhookEndpoint($id: ID!, $first: Int, $after: Cursor, $last: Int, $before: Cursor) {
    node(id: $id) { ... on WebhookEndpoint { ${endpointFields}
      deliveries(first: $first, after: $after, last: $last, before: $before, orderBy: {field: CREATED_AT, direction: DESC}) {
        totalCount pageInfo { hasNextPage startCursor endCursor } edges { node { ${deliveryFields} } } } } } }`,
  eventTypes: `query WebhookEventTypes { webhookEventTypes }`,
  create: `mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { secret endpoint { ${endpointFields} } } }`,
  update: `mutation UpdateWebhookEndpoint($id: ID!, $input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(id: $id, input: $input) { ${endpointFields} } }`,
  delete: `mutation DeleteWebhookEndpoint($id: ID!) { deleteWebhookEndpoint(id: $id) }`,
  redeliver: `mutation RedeliverWebhook($id: ID!) { redeliverWebhook(deliveryID: $id) { ${deliveryFields} } }`,
};

/** The address of an endpoint's page. */
export function webhookPath(id: string): string {
  return base + "webhooks/" + encodeURIComponent(id);
}

const allEvents = "*";

function eventsText(events: string[]): string {
  return events.includes(allEvents) ? "All events" : events.join(", ");
}

/** The endpoint's host, to name it in buttons and toasts. */
function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** How the endpoint is doing, from its last attempt. */
export function Health(props: { endpoint: WebhookEndpoint }) {
  const ep = props.endpoint;
  if (!ep.enabled) return <span class="badge badge-expired">Disabled</span>;
  if (!ep.lastAttemptAt) return <span class="muted">No deliveries yet</span>;
  const code = ep.lastResponseCode !== null ? `HTTP ${ep.lastResponseCode}` : "no answer";
  return (
    <span class="health" data-testid="endpoint-health">
      {ep.lastAttemptOK ? (
        <span class="badge badge-active">Healthy</span>
      ) : (
        <span class="badge badge-revoked">
          Failing{ep.consecutiveFailures > 1 ? ` (${ep.consecutiveFailures} in a row)` : ""}
        </span>
      )}{" "}
      <span class="muted">
        {code}, <When iso={ep.lastAttemptAt} />
      </span>
    </span>
  );
}

const statusLabels: Record<DeliveryStatus, [string, string]> = {
  PENDING: ["Pending", "badge-soon"],
  DELIVERED: ["Delivered", "badge-active"],
  FAILED: ["Failed", "badge-revoked"],
};

type Modal = { kind: "edit"; endpoint?: WebhookEndpoint } | { kind: "delete"; endpoint: WebhookEndpoint } | { kind: "secret"; endpoint: WebhookEndpoint; secret: string } | null;

/** The dialogs a webhook page opens: edit or create, delete, and the secret after create. */
function WebhookModals(props: { modal: Modal; close: () => void; done: (notice: string) => void; onCreated: (ep: WebhookEndpoint, secret: string) => void; onDeleted?: () => void }) {
  const { modal, close, done } = props;
  if (!modal) return null;
  if (modal.kind === "edit") return <WebhookDialog endpoint={modal.endpoint} onClose={close} onSaved={done} onCreated={props.onCreated} />;
  if (modal.kind === "secret") return <WebhookSecretDialog endpoint={modal.endpoint} secret={modal.secret} onClose={() => done(`Webhook endpoint ${host(modal.endpoint.url)} created.`)} />;
  return (
    <DeleteDialog
      what="webhook endpoint"
      onClose={close}
      onConfirm={async () => {
        await gql(W.delete, { id: modal.endpoint.id });
        done(`Webhook endpoint ${host(modal.endpoint.url)} deleted.`);
        props.onDeleted?.();
      }}
    >
      <p>
        Delete the endpoint <strong class="wrap-anywhere">{modal.endpoint.url}</strong>? It gets no more events, and its deliveries are
        deleted with it. Its signing secret cannot be brought back.
      </p>
    </DeleteDialog>
  );
}

const listDefaults = { ...pageDefaults };

export function WebhooksPage() {
  const session = useSession();
  const [q, setQ] = useQueryState(listDefaults);
  const { data, items, error, pager, busy, retry } = usePages<WebhookEndpoint>(
    (req) => gql<{ webhookEndpoints: Connection<WebhookEndpoint> }>(W.endpoints, { ...req }).then((d) => d.webhookEndpoints),
    q,
    setQ,
  );
  const { modal, setModal, close, done } = useModal<Modal>(retry);
  return (
    <Page
      id="webhooks-title"
      title="Webhooks"
      actions={
        session.can("webhook", "create") && <CreateButton label="Add endpoint" testid="create-webhook" onClick={() => setModal({ kind: "edit" })} />
      }
      intro={
        <>
          Latchkey sends events (a token created, revoked, about to expire…) as signed HTTP POSTs to these addresses, retrying with backoff
          until they answer with a 2xx status. Open an endpoint to see its deliveries.
        </>
      }
    >
      <ErrorBanner text={error} onRetry={error ? retry : undefined} />
      {data && data.totalCount === 0 ? (
        <div class="empty card">
          <h2>No webhook endpoints yet</h2>
          <p>Add one to be told when tokens change.</p>
        </div>
      ) : (
        <DataTable
          head={["Endpoint", { label: "Events", priority: 2 }, "Health", { label: "Created", priority: 3 }]}
          actions="Actions"
          labelledBy="webhooks-title"
          busy={busy}
          loading={!data}
          class="webhooks-table"
        >
          {items.map((ep) => (
            <tr key={ep.id} data-endpoint-url={ep.url}>
              <td data-label="Endpoint" class="card-title">
                <AppLink class="token-name wrap-anywhere" href={webhookPath(ep.id)}>
                  {ep.url}
                </AppLink>
              </td>
              <td data-label="Events" data-priority={2}>
                <span class="clamp">{eventsText(ep.events)}</span>
              </td>
              <td data-label="Health">
                <Health endpoint={ep} />
              </td>
              <td data-label="Created" data-priority={3}>
                <When iso={ep.createdAt} />
              </td>
              <td class="row-actions">
                <RowMenu
                  name={ep.url}
                  items={[
                    { label: "Deliveries", action: "deliveries", run: () => navigate(webhookPath(ep.id)) },
                    ...(session.can("webhook", "update") ? [{ label: "Edit", action: "edit", run: () => setModal({ kind: "edit", endpoint: ep }) }] : []),
                    ...(session.can("webhook", "delete")
                      ? [{ label: "Delete", action: "delete", danger: true, run: () => setModal({ kind: "delete", endpoint: ep }) }]
                      : []),
                  ]}
                />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {pager && data && data.totalCount > 0 && <Pager {...pager} noun="endpoint" top="webhooks-title" />}
      <WebhookModals modal={modal} close={close} done={done} onCreated={(endpoint, secret) => setModal({ kind: "secret", endpoint, secret })} />
    </Page>
  );
}

/** Create (no endpoint) or edit an endpoint: its address, the events it gets, whether it is on. */
function WebhookDialog(props: {
  endpoint?: WebhookEndpoint;
  onClose: () => void;
  onSaved: (notice: string) => void;
  onCreated: (ep: WebhookEndpoint, secret: string) => void;
}) {
  const ep = props.endpoint;
  const [url, setURL] = useState(ep?.url ?? "https://");
  const [events, setEvents] = useState<string[]>(ep?.events ?? [allEvents]);
  const [enabled, setEnabled] = useState(ep?.enabled ?? true);
  const [types, setTypes] = useState<string[] | null>(null);
  const [typesError, setTypesError] = useState("");
  useEffect(() => {
    gql<{ webhookEventTypes: string[] }>(W.eventTypes)
      .then((d) => setTypes(d.webhookEventTypes.filter((t) => t !== allEvents)))
      .catch((e) => setTypesError(message(e)));
  }, []);
  const check = (f: string) =>
    f === "url" ? checkWebhookURL(url) : f === "events" ? (events.length === 0 ? "Choose at least one event type, or all events." : "") : "";
  const form = useForm({
    labels: { url: "Address", events: "Events" },
    check,
    validate: () => problems({ url: check("url"), events: check("events") }),
    sentences: {
      FORBIDDEN: "Managing webhooks needs permission to read tokens and personas (events name them), and your token lacks it.",
    },
    save: async () => {
      const input = { url: url.trim(), events, enabled };
      if (ep) {
        await gql(W.update, { id: ep.id, input });
        props.onSaved(`Webhook endpoint ${host(input.url)} saved.`);
      } else {
        const d = await gql<{ createWebhookEndpoint: { secret: string; endpoint: WebhookEndpoint } }>(W.create, { input });
        props.onCreated(d.createWebhookEndpoint.endpoint, d.createWebhookEndpoint.secret);
      }
    },
  });
  const all = events.includes(allEvents);
  const toggle = (t: string, on: boolean) => {
    form.errors.edited("events");
    setEvents(on ? [...events.filter((x) => x !== t), t].sort() : events.filter((x) => x !== t));
  };
  return (
    <FormDialog title={ep ? "Edit webhook endpoint" : "Add webhook endpoint"} onClose={props.onClose} form={form} wide>
      <FormField
        label="Address"
        name="url"
        errors={form.errors}
        hint="An https address that accepts POST requests (plain http only on this machine, for tests)."
        type="url"
        required
        value={url}
        onValue={setURL}
        spellcheck={false}
        autocomplete="off"
      />
      <fieldset class="fieldset" data-field="events">
        <legend>Events</legend>
        <Checkbox
          checked={all}
          onChange={(on) => {
            form.errors.edited("events");
            setEvents(on ? [allEvents] : []);
          }}
        >
          All events, including those added later
        </Checkbox>
        <ErrorBanner text={typesError} />
        {!all && types && (
          <ul class="event-types">
            {types.map((t) => (
              <li key={t}>
                <label class="checkbox">
                  <input type="checkbox" name="event-type" value={t} checked={events.includes(t)} onChange={(e) => toggle(t, (e.target as HTMLInputElement).checked)} />{" "}
                  <code>{t}</code>
                </label>
              </li>
            ))}
          </ul>
        )}
        <GroupError text={form.errors.fields.events} />
      </fieldset>
      <div class="field">
        <label class="checkbox">
          <input type="checkbox" name="enabled" checked={enabled} onChange={(e) => setEnabled((e.target as HTMLInputElement).checked)} /> Enabled
        </label>
        <p class="hint">A disabled endpoint gets no new deliveries, and its pending ones wait until it is enabled again.</p>
      </div>
    </FormDialog>
  );
}

/** The signing secret, shown once (ShowOnceDialog), as a token's is. */
function WebhookSecretDialog(props: { endpoint: WebhookEndpoint; secret: string; onClose: () => void }) {
  return (
    <ShowOnceDialog
      title="Webhook endpoint added"
      what="secret"
      id="webhook-secret"
      label="Signing secret"
      secret={props.secret}
      onClose={props.onClose}
      intro={
        <>
          The signing secret of <strong class="wrap-anywhere">{props.endpoint.url}</strong>. Check each delivery’s
          <code> Latchkey-Signature</code> header with it.
        </>
      }
      warning={
        <>
          <strong>Copy this secret now.</strong> It will not be shown again.
        </>
      }
    />
  );
}

type EndpointWithDeliveries = WebhookEndpoint & { deliveries: Connection<WebhookDelivery> };

/** How often an endpoint's page looks again while a delivery is pending. */
const pendingPoll = 2000;

/** An endpoint's page: its settings and health, and its deliveries with Redeliver. */
export function WebhookDetailPage(props: { id: string }) {
  const session = useSession();
  const [q, setQ] = useQueryState(listDefaults);
  const [endpoint, setEndpoint] = useState<WebhookEndpoint | null>(null);
  const [missing, setMissing] = useState(false);
  const { data, items, error, pager, busy, retry } = usePages<WebhookDelivery>(
    (req) =>
      gql<{ node: EndpointWithDeliveries | null }>(W.endpoint, { id: props.id, ...req }).then((d) => {
        if (!d.node) {
          setMissing(true);
          return { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] };
        }
        setEndpoint(d.node);
        return d.node.deliveries;
      }),
    q,
    setQ,
  );
  const { modal, setModal, close, done } = useModal<Modal>(retry);
  const [redelivering, setRedelivering] = useState("");
  // Pending deliveries change on their own: look again until none is.
  const pending = items.some((d) => d.status === "PENDING");
  useEffect(() => {
    if (!pending || busy) return;
    const t = setTimeout(retry, pendingPoll);
    return () => clearTimeout(t);
  }, [pending, busy, data]);
  useEffect(() => {
    document.title = (endpoint ? host(endpoint.url) + " · " : "") + "Webhooks · Latchkey admin";
  }, [endpoint]);
  const redeliver = async (d: WebhookDelivery) => {
    setRedelivering(d.id);
    try {
      await gql(W.redeliver, { id: d.id });
      session.notify(`Event ${d.event} queued again.`);
      retry();
    } catch (e) {
      session.notify(message(e));
    } finally {
      setRedelivering("");
    }
  };
  const back = (
    <AppLink class="back-link" href={base + "webhooks"}>
      ← All webhook endpoints
    </AppLink>
  );
  if (missing)
    return (
      <div class="empty">
        {back}
        <h1>Endpoint not found</h1>
        <p>It may have been deleted.</p>
      </div>
    );
  const canRedeliver = session.can("webhook", "redeliver");
  return (
    <section class="page" aria-labelledby="webhook-title">
      {back}
      <div class="page-head">
        <h1 id="webhook-title" class="wrap-anywhere">
          {endpoint ? endpoint.url : "Webhook endpoint"}
        </h1>
        {endpoint && (
          <div class="page-actions">
            {session.can("webhook", "update") && (
              <button type="button" class="button" onClick={() => setModal({ kind: "edit", endpoint })}>
                Edit
              </button>
            )}
            {session.can("webhook", "delete") && (
              <button type="button" class="button danger-outline" onClick={() => setModal({ kind: "delete", endpoint })}>
                Delete
              </button>
            )}
          </div>
        )}
      </div>
      {endpoint && (
        <dl class="facts card">
          <div class="fact">
            <dt>Events</dt>
            <dd>{eventsText(endpoint.events)}</dd>
          </div>
          <div class="fact">
            <dt>Health</dt>
            <dd>
              <Health endpoint={endpoint} />
            </dd>
          </div>
          <div class="fact">
            <dt>Created</dt>
            <dd>
              <When iso={endpoint.createdAt} />
            </dd>
          </div>
          <div class="fact">
            <dt>Changed</dt>
            <dd>
              <When iso={endpoint.updatedAt} />
            </dd>
          </div>
        </dl>
      )}
      <div class="section-head">
        <h2 id="deliveries-title">Deliveries</h2>
        <button type="button" class="button small" onClick={retry} disabled={busy}>
          Refresh
        </button>
      </div>
      <ErrorBanner text={error} onRetry={error ? retry : undefined} />
      {data && data.totalCount === 0 ? (
        <div class="empty card" data-testid="no-deliveries">
          <p>No deliveries yet. Events the endpoint subscribes to appear here as they are sent.</p>
        </div>
      ) : (
        <DataTable
          head={["Event", "Status", "Attempts", { label: "Response", priority: 2 }, "Queued", { label: "Delivered or next try", priority: 3 }]}
          actions={canRedeliver ? "Actions" : undefined}
          labelledBy="deliveries-title"
          busy={busy}
          loading={!data}
          class="deliveries-table"
        >
          {items.map((d) => (
            <tr key={d.id} data-delivery={d.id} data-event-id={d.eventID} data-status={d.status}>
              <td data-label="Event" class="card-title">
                <code>{d.event}</code>
                <span class="muted wrap-anywhere event-id"> {d.eventID}</span>
              </td>
              <td data-label="Status">
                <span class={"badge " + statusLabels[d.status][1]}>{statusLabels[d.status][0]}</span>
              </td>
              <td data-label="Attempts" data-testid="delivery-attempts">
                {d.attempts}
              </td>
              <td data-label="Response" data-priority={2} data-testid="delivery-response">
                {d.lastResponseCode !== null ? `HTTP ${d.lastResponseCode}` : d.attempts > 0 ? "No answer" : "—"}
                {d.lastError && <span class="muted wrap-anywhere"> · {d.lastError}</span>}
              </td>
              <td data-label="Queued">
                <When iso={d.createdAt} />
              </td>
              <td data-label="Delivered or next try" data-priority={3}>
                {d.deliveredAt ? <When iso={d.deliveredAt} /> : d.status === "PENDING" ? <When iso={d.nextAttemptAt} /> : "—"}
              </td>
              {canRedeliver && (
                <td class="row-actions">
                  <RowButton verb="Redeliver" name={`${d.event} ${d.eventID}`} icon={<RegenerateIcon />} onClick={() => redelivering || redeliver(d)} />
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      )}
      {pager && data && data.totalCount > 0 && <Pager {...pager} noun="delivery" plural="deliveries" top="deliveries-title" />}
      <WebhookModals
        modal={modal}
        close={close}
        done={(notice) => {
          done(notice);
        }}
        onCreated={() => {}}
        onDeleted={() => navigate("webhooks")}
      />
    </section>
  );
}
