// Personas: the identities tokens act as (a name and an avatar). The list
// is searched and paged on the server, its state kept in the URL, and shows
// which tokens act as each persona.
import { useState } from "preact/hooks";
import { Connection, Persona, Q, TokenStatus, gql } from "./api";
import { AppLink, Avatar, AvatarURLField, ErrorBanner, FormDialog, FormField, Pager, useDebounced, useForm, useSession } from "./ui";
import { CreateButton, DataTable, DeleteDialog, Page, RowButton, useModal, usePages } from "./page";
import { DeleteIcon, EditIcon } from "./icons";
import { RateLimitRow, checkAvatarURL, checkDescription, checkExternalID, checkMetadata, checkName, checkRateLimits, problems } from "./validate";
import { personaLimitsRefusal, policyCeiling } from "./ceiling";
import { RateLimitsField, fromRows, limitText, toRows } from "./ratelimits";
import { firstPage, pageDefaults, useQueryState } from "./urlstate";
import { base, tokenPath } from "./nav";
import { tokenCount } from "./personapicker";

type Row = Persona & { createdAt: string; tokens?: Connection<{ id: string; name: string; status: TokenStatus }> };
type Modal = { kind: "edit"; persona?: Row } | { kind: "delete"; persona: Row } | null;

const sorts: Record<string, [string, string, string]> = {
  name: ["NAME", "ASC", "Name, A to Z"],
  "name-desc": ["NAME", "DESC", "Name, Z to A"],
  newest: ["CREATED_AT", "DESC", "Newest first"],
  oldest: ["CREATED_AT", "ASC", "Oldest first"],
};

// The list's search, sort and page, kept in the URL.
const listDefaults = { q: "", sort: "name", ...pageDefaults };

/** The address of the tokens list showing only the tokens that act as a persona. */
export function personaTokensPath(id: string): string {
  return base + "tokens?persona=" + encodeURIComponent(id);
}

export function PersonasPage() {
  const session = useSession();
  const [q, setQ] = useQueryState(listDefaults);
  const search = useDebounced(q.q.trim(), 300);
  const [sortField, direction] = sorts[q.sort] ?? sorts.name;
  const withTokens = session.can("api-token", "read");
  const { data, items: personas, error, pager, busy, retry } = usePages<Row>(
    (req) =>
      gql<{ personas: Connection<Row> }>(Q.personas, {
        ...req,
        where: search ? { nameContainsFold: search } : {},
        orderBy: { field: sortField, direction },
        withTokens,
      }).then((d) => d.personas),
    q,
    setQ,
    [search, q.sort],
  );
  const { modal, setModal, close, done } = useModal<Modal>(retry);

  return (
    <Page
      id="personas-title"
      title="Personas"
      actions={session.can("persona", "create") && <CreateButton label="Create persona" onClick={() => setModal({ kind: "edit" })} />}
      intro={
        <>
          A persona is who a token acts as: its name and avatar appear in the audit log and in what services see. Several tokens
          may share one, for example while a secret is rotated.
        </>
      }
    >
      <form class="filters card" role="search" aria-label="Search personas" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="persona-search">Name</label>
          <input
            id="persona-search"
            type="search"
            placeholder="Part of a name"
            value={q.q}
            onInput={(e) => setQ({ q: (e.target as HTMLInputElement).value, ...firstPage })}
          />
        </div>
        <div class="field">
          <label for="persona-sort">Sort by</label>
          <select id="persona-sort" value={q.sort} onChange={(e) => setQ({ sort: (e.target as HTMLSelectElement).value, ...firstPage }, "push")}>
            {Object.entries(sorts).map(([k, [, , label]]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorBanner text={error} onRetry={error ? retry : undefined} />
      {data && data.totalCount === 0 && !search ? (
        <div class="empty card">
          <h2>No personas yet</h2>
        </div>
      ) : (
        <DataTable
          head={["Persona", { label: "Description", priority: 3 }, { label: "External ID", priority: 2 }, { label: "Rate limits", priority: 2 }, ...(withTokens ? ["Tokens"] : [])]}
          actions="Actions"
          labelledBy="personas-title"
          busy={busy}
          loading={!data}
        >
          {personas.map((p) => (
            <tr key={p.id} data-persona-name={p.name}>
              <td data-label="Persona" class="card-title">
                <span class="persona-cell">
                  <Avatar name={p.name} url={p.avatarURL} size={28} />
                  <strong class="wrap-anywhere">{p.name}</strong>
                </span>
              </td>
              <td data-label="Description" data-priority={3}>
                {p.description}
                {p.metadata && Object.keys(p.metadata).length > 0 && (
                  <details class="metadata-peek">
                    <summary>Metadata</summary>
                    <pre data-testid="persona-metadata">{JSON.stringify(p.metadata, null, 2)}</pre>
                  </details>
                )}
              </td>
              <td data-label="External ID" data-priority={2} data-testid="persona-external-id">
                {p.externalID ? <code class="wrap-anywhere">{p.externalID}</code> : <span class="muted">None</span>}
              </td>
              <td data-label="Rate limits" data-priority={2} data-testid="persona-limits">
                {p.rateLimits && p.rateLimits.length > 0 ? (
                  <ul class="limit-list">
                    {p.rateLimits.map((l) => (
                      <li key={l.name}>
                        {limitText(l)} ({l.name})
                      </li>
                    ))}
                  </ul>
                ) : (
                  <span class="muted">None</span>
                )}
              </td>
              {withTokens && (
                <td data-label="Tokens" data-testid="persona-tokens">
                  {p.tokens && p.tokens.totalCount > 0 ? (
                    <>
                      <ul class="persona-tokens">
                        {(p.tokens.edges ?? []).map(({ node: t }) => (
                          <li key={t.id}>
                            <AppLink href={tokenPath(t.id)}>{t.name}</AppLink>
                            {t.status !== "ACTIVE" && <span class="muted"> ({t.status.toLowerCase()})</span>}
                          </li>
                        ))}
                      </ul>
                      {p.tokens.totalCount > (p.tokens.edges ?? []).length && (
                        <AppLink href={personaTokensPath(p.id)}>All {p.tokens.totalCount} tokens</AppLink>
                      )}
                    </>
                  ) : (
                    <span class="muted">No tokens</span>
                  )}
                </td>
              )}
              <td class="row-actions">
                {session.can("persona", "update") && (
                  <RowButton verb="Edit" name={p.name} icon={<EditIcon />} onClick={() => setModal({ kind: "edit", persona: p })} />
                )}
                {session.can("persona", "delete") && (
                  <RowButton verb="Delete" name={p.name} icon={<DeleteIcon />} danger onClick={() => setModal({ kind: "delete", persona: p })} />
                )}
              </td>
            </tr>
          ))}
          {data && personas.length === 0 && (
            <tr>
              <td colSpan={withTokens ? 6 : 5} class="no-match" data-testid="personas-no-match">
                No persona’s name contains “{search}”.
              </td>
            </tr>
          )}
        </DataTable>
      )}
      {pager && data && data.totalCount > 0 && <Pager {...pager} noun="persona" top="personas-title" />}
      {modal?.kind === "edit" && <PersonaDialog persona={modal.persona} onClose={close} onSaved={(name) => done(`Persona “${name}” saved.`)} />}
      {modal?.kind === "delete" && (
        <DeleteDialog
          what="persona"
          onClose={close}
          sentences={{ CONFLICT: "Tokens act as this persona. Give them another persona, or delete them, first." }}
          onConfirm={async () => {
            await gql(Q.deletePersona, { id: modal.persona.id });
            done(`Persona “${modal.persona.name}” deleted.`);
          }}
        >
          <p>
            Delete the persona <strong>“{modal.persona.name}”</strong>?
          </p>
          {modal.persona.tokens && modal.persona.tokens.totalCount > 0 ? (
            <p class="banner banner-warning" role="note">
              {tokenCount(modal.persona.tokens.totalCount)} act{modal.persona.tokens.totalCount === 1 ? "s" : ""} as it, so it cannot be
              deleted until they have another persona or are deleted.
            </p>
          ) : (
            <p>No token acts as it.</p>
          )}
        </DeleteDialog>
      )}
    </Page>
  );
}

export function PersonaDialog(props: { persona?: Persona; onClose: () => void; onSaved: (name: string) => void }) {
  const p = props.persona;
  const [name, setName] = useState(p?.name ?? "");
  const [avatarURL, setAvatarURL] = useState(p?.avatarURL ?? "");
  const [description, setDescription] = useState(p?.description ?? "");
  const [externalID, setExternalID] = useState(p?.externalID ?? "");
  const [metadata, setMetadata] = useState(p?.metadata && Object.keys(p.metadata).length > 0 ? JSON.stringify(p.metadata, null, 2) : "");
  const [limits, setLimits] = useState<RateLimitRow[]>(toRows(p?.rateLimits));
  const ceiling = policyCeiling(useSession());
  const check = (f: string) =>
    f === "name"
      ? checkName("Name", name)
      : f === "avatarURL"
        ? checkAvatarURL(avatarURL)
        : f === "description"
          ? checkDescription(description)
          : f === "externalID"
            ? checkExternalID(externalID.trim())
            : f === "metadata"
              ? checkMetadata(metadata)
              : f === "rateLimits"
                ? checkRateLimits(limits)
                : "";
  const fields = ["name", "avatarURL", "description", "externalID", "metadata", "rateLimits"];
  const form = useForm({
    labels: { name: "Name", avatarURL: "Avatar URL", description: "Description", externalID: "External ID", metadata: "Metadata", rateLimits: "Rate limits" },
    check,
    validate: () => problems(Object.fromEntries(fields.map((f) => [f, check(f)]))),
    sentences: {
      "CONFLICT:name": `Another persona is already called “${name.trim()}”. Choose another name.`,
      "CONFLICT:externalID": `Another persona already has the external ID “${externalID.trim()}”. Each persona needs its own.`,
      "FORBIDDEN:rateLimits": () =>
        personaLimitsRefusal(ceiling, fromRows(limits)) ||
        "A token of this persona would be left with looser rate limits than your own token has. Keep a limit at least as strict as yours.",
    },
    save: async () => {
      const input: Record<string, unknown> = { name, avatarURL: avatarURL.trim(), description };
      // Only what changed is sent: unchanged limits are not checked against
      // the viewer's ceiling again. An empty external ID removes it.
      const meta = metadata.trim() ? JSON.parse(metadata) : {};
      if (!p || JSON.stringify(meta) !== JSON.stringify(p.metadata ?? {})) input.metadata = meta;
      const rl = fromRows(limits);
      if (!p || JSON.stringify(rl) !== JSON.stringify(p.rateLimits ?? [])) input.rateLimits = rl;
      if (p ? externalID.trim() !== (p.externalID ?? "") : externalID.trim()) input.externalID = externalID.trim();
      if (p) await gql(Q.updatePersona, { id: p.id, input });
      else await gql(Q.createPersona, { input });
      props.onSaved(name);
    },
  });
  return (
    <FormDialog title={p ? `Edit persona “${p.name}”` : "Create persona"} onClose={props.onClose} form={form} wide>
      <FormField label="Name" name="name" errors={form.errors} required value={name} onValue={setName} />
      <AvatarURLField name="avatarURL" control="avatarURL" errors={form.errors} value={avatarURL} onValue={setAvatarURL} personaName={name} />
      <FormField label="Description" name="description" errors={form.errors} rows={2} value={description} onValue={setDescription} />
      <FormField
        label="External ID"
        name="externalID"
        errors={form.errors}
        hint="This customer’s, user’s or service’s id in your own system, so that verify answers can name it. Unique; leave empty for none."
        value={externalID}
        onValue={setExternalID}
        maxLength={255}
        spellcheck={false}
        autocomplete="off"
      />
      <FormField
        label="Metadata"
        name="metadata"
        errors={form.errors}
        hint={'Your own data about the persona, as a JSON object, such as {"plan": "pro"}. Leave empty for none.'}
        rows={4}
        value={metadata}
        onValue={setMetadata}
        spellcheck={false}
      />
      <RateLimitsField
        hint="Shared by every token acting as this persona, on top of each token’s own limits. Windows start at round times (UTC)."
        ceiling={checkRateLimits(limits) ? "" : personaLimitsRefusal(ceiling, fromRows(limits))}
        rows={limits}
        onRows={setLimits}
        errors={form.errors}
      />
    </FormDialog>
  );
}
