// The API tokens page: the sortable, filterable table and every action on a
// token (create, edit, regenerate, revoke, restore, delete).
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  APIToken,
  Connection,
  ContentType,
  Persona,
  Q,
  Role,
  TokenStatus,
  TokenType,
  gql,
  message,
  nodes,
  readable,
  setToken,
} from "./api";
import {
  Avatar,
  AvatarURLField,
  Dialog,
  DialogActions,
  ErrorBanner,
  FormDialog,
  FormErrors,
  GroupError,
  Matrix,
  Pager,
  FormField,
  cell,
  grantCeiling,
  formatDate,
  filterSetter,
  formatDateTime,
  permissionSet,
  statusLabels,
  toPermissions,
  typeLabels,
  useDebounced,
  useForm,
  useSession,
} from "./ui";
import { CreateButton, DeleteDialog, Page, RowButton, useModal, usePages } from "./page";
import { DeleteIcon, EditIcon, FilterIcon, RegenerateIcon, RestoreIcon, RevokeIcon } from "./icons";

const pageSize = 20;

type SortField = "NAME" | "CODE" | "TYPE" | "CREATED_AT" | "UPDATED_AT" | "LAST_USED_AT" | "EXPIRES_AT";
interface Sort {
  field: SortField;
  direction: "ASC" | "DESC";
}

interface Column {
  key: string;
  label: string;
  sort?: SortField;
  render: (t: APIToken) => preact.ComponentChildren;
}

const columns: Column[] = [
  {
    key: "name",
    label: "Name",
    sort: "NAME",
    render: (t) => (
      <>
        <span class="token-name">{t.name}</span>
        <code class="token-code">{t.code}</code>
      </>
    ),
  },
  { key: "description", label: "Description", render: (t) => <span class="clamp">{t.description}</span> },
  { key: "type", label: "Access level", sort: "TYPE", render: (t) => typeLabels[t.type] },
  {
    key: "status",
    label: "Status",
    render: (t) => <span class={"badge badge-" + t.status.toLowerCase()}>{statusLabels[t.status]}</span>,
  },
  { key: "hint", label: "Token", render: (t) => <code class="hint-code">{t.hint}</code> },
  {
    key: "persona",
    label: "Persona",
    render: (t) =>
      t.persona && (
        <span class="persona-cell">
          <Avatar name={t.persona.name} url={t.persona.avatarURL} size={22} />
          {t.persona.name}
        </span>
      ),
  },
  {
    key: "created",
    label: "Created",
    sort: "CREATED_AT",
    render: (t) => <time title={formatDateTime(t.createdAt)}>{formatDate(t.createdAt)}</time>,
  },
  {
    key: "lastUsed",
    label: "Last used",
    sort: "LAST_USED_AT",
    render: (t) => <time title={formatDateTime(t.lastUsedAt, "Never")}>{formatDate(t.lastUsedAt, "Never")}</time>,
  },
  {
    key: "expires",
    label: "Expires",
    sort: "EXPIRES_AT",
    render: (t) => <time title={formatDateTime(t.expiresAt, "Never")}>{formatDate(t.expiresAt, "Never")}</time>,
  },
];

interface Filters {
  name: string;
  secret: string;
  type: "" | TokenType;
  status: "" | TokenStatus;
}

const noFilters: Filters = { name: "", secret: "", type: "", status: "" };

type Modal =
  | { kind: "create" }
  | { kind: "edit"; token: APIToken }
  | { kind: "secret"; token: APIToken; secret: string; regenerated: boolean }
  | { kind: "regenerate"; token: APIToken }
  | { kind: "delete"; token: APIToken }
  | null;

export function TokensPage() {
  const session = useSession();
  const [sort, setSort] = useState<Sort>({ field: "NAME", direction: "ASC" });
  const [filters, setFilters] = useState<Filters>(noFilters);
  const [showFilters, setShowFilters] = useState(false);
  const debounced = useDebounced(filters, 300);
  const [reload, setReload] = useState(0);
  const refresh = () => setReload((n) => n + 1);
  const { modal, setModal, close, done } = useModal<Modal>(refresh);

  const where = useMemo(() => {
    const w: Record<string, string> = {};
    if (debounced.name.trim()) w.nameContainsFold = debounced.name.trim();
    if (debounced.secret.trim()) w.secret = debounced.secret.trim();
    if (debounced.type) w.type = debounced.type;
    if (debounced.status) w.status = debounced.status;
    return w;
  }, [debounced]);
  const filtering = Object.keys(where).length > 0;

  const {
    data,
    items: tokens,
    error,
    setError,
    pager,
  } = usePages<APIToken>(
    (after) => gql<{ apiTokens: Connection<APIToken> }>(Q.tokens, { first: pageSize, after, orderBy: sort, where, ...readable(session.can) }).then((d) => d.apiTokens),
    [sort, where],
    [reload],
  );

  const canCreate = session.can("api-token", "create");
  const canUpdate = session.can("api-token", "update");
  const canRegenerate = session.can("api-token", "regenerate");
  const canRevoke = session.can("api-token", "revoke");
  const canDelete = session.can("api-token", "delete");

  const set = filterSetter(filters, setFilters);
  const sortBy = (f: SortField) =>
    setSort((s) => (s.field === f ? { field: f, direction: s.direction === "ASC" ? "DESC" : "ASC" } : { field: f, direction: "ASC" }));

  const revoke = async (t: APIToken, restore: boolean) => {
    try {
      await gql(restore ? Q.restoreToken : Q.revokeToken, { id: t.id });
      session.notify(restore ? `“${t.name}” restored.` : `“${t.name}” revoked.`);
      refresh();
    } catch (e) {
      setError(message(e));
    }
  };

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
            <FilterIcon /> Filter results{filtering ? ` (${Object.keys(where).length})` : ""}
          </button>
          {canCreate && <CreateButton label="Create new API token" testid="create-token" onClick={() => setModal({ kind: "create" })} />}
        </>
      }
      intro={
        <>
          Tokens let services and people call the Latchkey API. A secret is shown once, when it is created or regenerated;
          afterwards only its hint is kept.
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
            <label for="filter-secret">Token</label>
            <input
              id="filter-secret"
              type="password"
              placeholder="The exact token value"
              autocomplete="off"
              spellcheck={false}
              value={filters.secret}
              onInput={set("secret")}
            />
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
            <button type="button" class="button" disabled={!filtering && filters === noFilters} onClick={() => setFilters(noFilters)}>
              Clear filters
            </button>
          </div>
        </form>
      )}

      <ErrorBanner text={error} />

      {data && tokens.length === 0 && !filtering ? (
        <div class="empty card" data-testid="tokens-empty">
          <h2>No API tokens yet</h2>
          <p>Create your first API token to let a service or a script call Latchkey.</p>
          {canCreate && (
            <button type="button" class="button primary" onClick={() => setModal({ kind: "create" })}>
              Create your first API token
            </button>
          )}
        </div>
      ) : (
        <div class="table-wrap">
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
          <table class="data-table tokens-table" aria-labelledby="tokens-title" aria-busy={!data}>
            <thead>
              <tr>
                {columns.map((c) => {
                  const active = c.sort && sort.field === c.sort;
                  return (
                    <th
                      key={c.key}
                      scope="col"
                      data-col={c.key}
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
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id} data-token-id={t.id} data-token-name={t.name}>
                  {columns.map((c) => (
                    <td key={c.key} data-col={c.key} data-label={c.label}>
                      {c.render(t)}
                    </td>
                  ))}
                  <td class="row-actions">
                    {canUpdate && <RowButton verb="Edit" name={t.name} icon={<EditIcon />} iconOnly onClick={() => setModal({ kind: "edit", token: t })} />}
                    {canRegenerate && (
                      <RowButton verb="Regenerate" name={t.name} icon={<RegenerateIcon />} iconOnly onClick={() => setModal({ kind: "regenerate", token: t })} />
                    )}
                    {canRevoke &&
                      (t.status === "REVOKED" ? (
                        <RowButton verb="Restore" name={t.name} icon={<RestoreIcon />} iconOnly onClick={() => revoke(t, true)} />
                      ) : (
                        <RowButton verb="Revoke" name={t.name} icon={<RevokeIcon />} iconOnly onClick={() => revoke(t, false)} />
                      ))}
                    {canDelete && (
                      <RowButton verb="Delete" name={t.name} icon={<DeleteIcon />} iconOnly danger onClick={() => setModal({ kind: "delete", token: t })} />
                    )}
                  </td>
                </tr>
              ))}
              {data && tokens.length === 0 && (
                <tr>
                  <td colSpan={columns.length + 1} class="no-match" data-testid="tokens-no-match">
                    No API tokens match these filters.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {pager && (tokens.length > 0 || filtering) && <Pager {...pager} noun="token" />}

      {(modal?.kind === "create" || modal?.kind === "edit") && (
        <TokenDialog
          token={modal.kind === "edit" ? modal.token : undefined}
          onClose={close}
          onSaved={(token, secret) => {
            refresh();
            if (secret) setModal({ kind: "secret", token, secret, regenerated: false });
            else {
              setModal(null);
              session.notify(`“${token.name}” saved.`);
            }
          }}
        />
      )}
      {modal?.kind === "secret" && (
        <SecretDialog token={modal.token} secret={modal.secret} regenerated={modal.regenerated} onClose={close} />
      )}
      {modal?.kind === "regenerate" && (
        <RegenerateDialog
          token={modal.token}
          onClose={close}
          onDone={(token, secret) => {
            // The viewer's own token: its old secret may already be dead, so
            // the session switches to the new one before anything reloads
            // (a 401 would sign out and lose the show-once dialog).
            if (token.id === session.viewer.apiToken.id) setToken(secret);
            refresh();
            setModal({ kind: "secret", token, secret, regenerated: true });
          }}
        />
      )}
      {modal?.kind === "delete" && (
        <DeleteDialog
          what="API token"
          onClose={close}
          onConfirm={async () => {
            await gql(Q.deleteToken, { id: modal.token.id });
            done(`“${modal.token.name}” deleted.`);
          }}
        >
          <p>
            Delete the API token <strong>“{modal.token.name}”</strong>? Anything using it stops working at once. This cannot
            be undone.
          </p>
        </DeleteDialog>
      )}
    </Page>
  );
}

// ---- Create and edit ----

type Duration = "KEEP" | "DAYS_7" | "DAYS_30" | "DAYS_90" | "UNLIMITED" | "DATE";
type PersonaMode = "token" | "existing" | "new";

const tokenFields = [
  "name",
  "code",
  "description",
  "type",
  "lifespan",
  "expiresAt",
  "personaID",
  "persona",
  "persona.name",
  "persona.avatarURL",
  "roleIDs",
  "permissions",
  "secret",
];

function isoDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function TokenDialog(props: {
  token?: APIToken;
  onClose: () => void;
  onSaved: (token: APIToken, secret?: string) => void;
}) {
  const session = useSession();
  const editing = props.token;
  const [name, setName] = useState(editing?.name ?? "");
  const [code, setCode] = useState(editing?.code ?? "");
  const [description, setDescription] = useState(editing?.description ?? "");
  const [type, setType] = useState<TokenType>(editing?.type ?? "READ_ONLY");
  const [duration, setDuration] = useState<Duration>(editing ? "KEEP" : "DAYS_30");
  const [date, setDate] = useState(isoDate(new Date(Date.now() + 30 * 86400e3)));
  const [personaMode, setPersonaMode] = useState<PersonaMode>(editing ? "existing" : "token");
  const [personaID, setPersonaID] = useState(editing?.persona?.id ?? "");
  const [personaName, setPersonaName] = useState("");
  const [avatarURL, setAvatarURL] = useState("");
  const [roleIDs, setRoleIDs] = useState<Set<string>>(new Set((editing?.roles ?? []).map((r) => r.id)));
  const [cells, setCells] = useState<Set<string>>(permissionSet(editing?.permissions));
  const [ownSecret, setOwnSecret] = useState(false);
  const [secret, setSecret] = useState("");
  const [personas, setPersonas] = useState<Persona[]>([]);
  const [roles, setRoles] = useState<Role[]>([]);
  const [contentTypes, setContentTypes] = useState<ContentType[]>([]);

  const form = useForm(
    tokenFields,
    async () => {
      setErrors(new FormErrors());
      const input: Record<string, unknown> = { name, description, type };
      if (code.trim() || editing) input.code = code.trim() || undefined;
      if (duration === "DATE") {
        const d = new Date(date + "T23:59:59");
        if (isNaN(d.getTime())) {
          setErrors(new FormErrors({ expiresAt: "Choose a valid date." }));
          form.setBusy(false);
          return;
        }
        input.expiresAt = d.toISOString();
      } else if (duration !== "KEEP") input.lifespan = duration;
      if (personaMode === "existing" && personaID && personaID !== editing?.persona?.id) input.personaID = personaID;
      if (personaMode === "new") input.persona = { name: personaName, avatarURL: avatarURL.trim() || undefined };
      if (type === "CUSTOM") {
        input.roleIDs = [...roleIDs];
        // Cells a role already grants are not stored twice.
        input.permissions = toPermissions(new Set([...cells].filter((k) => !locked.has(k))));
      }
      if (!editing && ownSecret) input.secret = secret;
      if (editing) {
        const d = await gql<{ updateAPIToken: APIToken }>(Q.updateToken, { id: editing.id, input, ...readable(session.can) });
        props.onSaved(d.updateAPIToken);
      } else {
        const d = await gql<{ createAPIToken: { apiToken: APIToken; secret: string } }>(Q.createToken, { input, ...readable(session.can) });
        props.onSaved(d.createAPIToken.apiToken, d.createAPIToken.secret);
      }
    },
    // Errors about a persona chosen from the list belong to that list.
    (fe) => {
      if (fe.fields.personaID || fe.fields.persona) fe.fields["persona.name"] ??= fe.fields.persona;
    },
  );
  const { errors, setErrors } = form;

  useEffect(() => {
    const load = async () => {
      try {
        const [p, r, c] = await Promise.all([
          session.can("persona", "read") ? gql<{ personas: Connection<Persona> }>(Q.personaChoices) : null,
          session.can("role", "read") ? gql<{ roles: Connection<Role> }>(Q.roles) : null,
          session.can("content-type", "read") ? gql<{ contentTypes: Connection<ContentType> }>(Q.contentTypes) : null,
        ]);
        if (p) setPersonas(nodes(p.personas));
        if (r) setRoles(nodes(r.roles));
        if (c) setContentTypes(nodes(c.contentTypes));
      } catch (e) {
        setErrors(new FormErrors({}, message(e)));
      }
    };
    load();
  }, []);

  // Cells the chosen roles grant, and which role grants each.
  const locked = useMemo(() => {
    const m = new Map<string, string>();
    for (const r of roles) if (roleIDs.has(r.id)) for (const p of r.permissions) if (!m.has(cell(p.contentType, p.action))) m.set(cell(p.contentType, p.action), r.name);
    return m;
  }, [roles, roleIDs]);

  const previewPersona = personas.find((p) => p.id === personaID);

  const matrixLabel = "Permissions of this token";
  return (
    <FormDialog title={editing ? `Edit API token “${editing.name}”` : "Create new API token"} onClose={props.onClose} form={form} wide bodyClass="token-form">
      <div class="grid-2">
        <FormField label="Name" name="name" errors={errors} required maxLength={100} value={name} onValue={setName} />
        <FormField
          label="Code"
          name="code"
          errors={errors}
          hint={editing ? undefined : "A unique slug; left empty, it is made from the name."}
          maxLength={100}
          placeholder={editing ? "" : "e.g. billing-export"}
          value={code}
          onValue={setCode}
        />
      </div>
      <FormField label="Description" name="description" errors={errors} rows={2} maxLength={1000} value={description} onValue={setDescription} />

      <fieldset class="fieldset" data-field="persona">
        <legend>Persona</legend>
        <p class="hint">The identity the token acts as: what it does is attributed to this name and avatar.</p>
        <div class="radio-row">
          {!editing && (
            <label>
              <input type="radio" name="persona-mode" checked={personaMode === "token"} onChange={() => setPersonaMode("token")} /> Named
              after the token
            </label>
          )}
          {personas.length > 0 && (
            <label>
              <input
                type="radio"
                name="persona-mode"
                checked={personaMode === "existing"}
                onChange={() => {
                  setPersonaMode("existing");
                  if (!personaID && personas[0]) setPersonaID(personas[0].id);
                }}
              />{" "}
              Pick from the list
            </label>
          )}
          {session.can("persona", "create") && (
            <label>
              <input type="radio" name="persona-mode" checked={personaMode === "new"} onChange={() => setPersonaMode("new")} /> New
              persona
            </label>
          )}
        </div>
        {personaMode === "existing" && (
          <FormField
            label="Persona"
            name="personaID"
            errors={errors}
            value={personaID}
            onValue={setPersonaID}
            options={
              <>
                {editing?.persona && !personas.some((p) => p.id === editing.persona?.id) && <option value={editing.persona.id}>{editing.persona.name}</option>}
                {personas.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </>
            }
            wrap={(select) => (
              <div class="persona-pick">
                <Avatar name={previewPersona?.name ?? ""} url={previewPersona?.avatarURL} size={32} />
                {select}
              </div>
            )}
          />
        )}
        {personaMode === "new" && (
          <div class="grid-2 persona-new">
            <FormField label="Persona name" name="persona.name" control="persona-name" errors={errors} maxLength={100} value={personaName} onValue={setPersonaName} />
            <AvatarURLField
              name="persona.avatarURL"
              control="persona-avatar"
              errors={errors}
              value={avatarURL}
              onValue={setAvatarURL}
              personaName={personaName}
            />
          </div>
        )}
      </fieldset>

      <div class="grid-2">
        <fieldset class="fieldset" data-field="type">
          <legend>Access level</legend>
          {(["READ_ONLY", "FULL_ACCESS", "CUSTOM"] as TokenType[]).map((t) => (
            <label class="radio" key={t}>
              <input type="radio" name="type" value={t} checked={type === t} onChange={() => setType(t)} /> {typeLabels[t]}
              <span class="hint">
                {t === "READ_ONLY"
                  ? "Every read-only action on every content type."
                  : t === "FULL_ACCESS"
                    ? "Every action on every content type."
                    : "Only the roles and permissions you choose below."}
              </span>
            </label>
          ))}
          {errors.fields.type && <p class="error">{errors.fields.type}</p>}
        </fieldset>
        <div>
          <FormField
            label="Token duration"
            name="lifespan"
            control="duration"
            errors={errors}
            hint={editing ? `Currently expires: ${formatDateTime(editing.expiresAt, "never")}.` : undefined}
            value={duration}
            onValue={(v) => setDuration(v as Duration)}
            options={
              <>
                {editing && <option value="KEEP">Keep the current expiry</option>}
                <option value="DAYS_7">7 days</option>
                <option value="DAYS_30">30 days</option>
                <option value="DAYS_90">90 days</option>
                <option value="UNLIMITED">Unlimited</option>
                <option value="DATE">Until a date…</option>
              </>
            }
          />
          {duration === "DATE" && (
            <FormField
              label="Expires on"
              name="expiresAt"
              errors={errors}
              type="date"
              min={isoDate(new Date(Date.now() + 86400e3))}
              value={date}
              onValue={setDate}
            />
          )}
          {!editing && (
            <div class="own-secret">
              <label class="checkbox">
                <input type="checkbox" name="own-secret" checked={ownSecret} onChange={(e) => setOwnSecret((e.target as HTMLInputElement).checked)} />{" "}
                Specify my own token
              </label>
              {ownSecret && (
                <FormField
                  label="Token value"
                  name="secret"
                  errors={errors}
                  hint="At least 32 printable characters, unique."
                  autocomplete="off"
                  spellcheck={false}
                  minLength={32}
                  value={secret}
                  onValue={setSecret}
                />
              )}
            </div>
          )}
        </div>
      </div>

      {type === "CUSTOM" && (
        <div class="custom-grants">
          {roles.length > 0 && (
            <fieldset class="fieldset" data-field="roleIDs">
              <legend>Roles</legend>
              <div class="role-list">
                {roles.map((r) => (
                  <label class="checkbox" key={r.id} title={r.description}>
                    <input
                      type="checkbox"
                      name="role"
                      value={r.id}
                      checked={roleIDs.has(r.id)}
                      onChange={(e) => {
                        const next = new Set(roleIDs);
                        if ((e.target as HTMLInputElement).checked) next.add(r.id);
                        else next.delete(r.id);
                        setRoleIDs(next);
                      }}
                    />{" "}
                    {r.name}
                  </label>
                ))}
              </div>
              <GroupError text={errors.fields.roleIDs} />
            </fieldset>
          )}
          <fieldset class="fieldset" data-field="permissions">
            <legend>Permissions</legend>
            <p class="hint">Cells a chosen role grants are checked and locked. You can only grant what your own token holds.</p>
            {contentTypes.length > 0 ? (
              <Matrix contentTypes={contentTypes} value={cells} onChange={setCells} locked={locked} ceiling={grantCeiling(session, contentTypes)} label={matrixLabel} />
            ) : (
              <p class="hint">Loading content types…</p>
            )}
            <GroupError text={errors.fields.permissions} />
          </fieldset>
        </div>
      )}
    </FormDialog>
  );
}

// ---- Show once ----

export function SecretDialog(props: { token: APIToken; secret: string; regenerated: boolean; onClose: () => void }) {
  const [copied, setCopied] = useState<"" | "ok" | "failed">("");
  const inputRef = useRef<HTMLInputElement>(null);
  const copy = async () => {
    try {
      if (!navigator.clipboard?.writeText) throw new Error("no clipboard API");
      await navigator.clipboard.writeText(props.secret);
      setCopied("ok");
    } catch {
      // Fallback for browsers or contexts without the async clipboard API.
      const el = inputRef.current!;
      el.focus();
      el.select();
      let ok = false;
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
      setCopied(ok ? "ok" : "failed");
    }
  };
  return (
    <Dialog
      title={props.regenerated ? "API token regenerated" : "API token created"}
      onClose={props.onClose}
      class="secret-dialog"
      initialFocus=".copy-button"
    >
      <div class="dialog-body">
        <p>
          The {props.regenerated ? "new " : ""}token for <strong>“{props.token.name}”</strong>:
        </p>
        <div class="secret-row">
          <label for="secret-value" class="visually-hidden">
            Token
          </label>
          <input
            id="secret-value"
            ref={inputRef}
            class="secret-value"
            readOnly
            value={props.secret}
            spellcheck={false}
            onFocus={(e) => (e.target as HTMLInputElement).select()}
          />
          <button type="button" class="button primary copy-button" onClick={copy}>
            Copy
          </button>
        </div>
        <p class="copy-status" role="status" aria-live="polite">
          {copied === "ok" ? "Copied to the clipboard." : copied === "failed" ? "Copying failed: select the token and copy it by hand." : ""}
        </p>
        <div class="banner banner-warning" role="note">
          <strong>Copy this token now.</strong> For security it will not be shown again: once you close this window, only its
          hint ({props.token.hint}) is kept.
        </div>
      </div>
      <div class="dialog-actions">
        <button type="button" class="button" onClick={props.onClose}>
          I have copied it, close
        </button>
      </div>
    </Dialog>
  );
}

// ---- Regenerate ----

const graceChoices: [string, number][] = [
  ["Stop working at once", 0],
  ["Keep working for 1 hour", 3600],
  ["Keep working for 24 hours", 86400],
  ["Keep working for 7 days", 7 * 86400],
];

function RegenerateDialog(props: { token: APIToken; onClose: () => void; onDone: (t: APIToken, secret: string) => void }) {
  const session = useSession();
  const [grace, setGrace] = useState(0);
  const [errors, setErrors] = useState(new FormErrors());
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const d = await gql<{ regenerateAPIToken: { apiToken: APIToken; secret: string } }>(Q.regenerateToken, {
        ...readable(session.can),
        id: props.token.id,
        grace: grace || null,
      });
      props.onDone(d.regenerateAPIToken.apiToken, d.regenerateAPIToken.secret);
    } catch (err) {
      setErrors(FormErrors.from(err, ["gracePeriodSeconds"]));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Regenerate API token" onClose={props.onClose} initialFocus="select">
      <form onSubmit={submit}>
        <div class="dialog-body">
          <p>
            Regenerate <strong>“{props.token.name}”</strong>? It gets a new secret, shown once. Everything using the current
            secret must switch to the new one.
          </p>
          <ErrorBanner text={errors.general} />
          <FormField
            label="The current secret"
            name="gracePeriodSeconds"
            control="grace"
            errors={errors}
            value={String(grace)}
            onValue={(v) => setGrace(Number(v))}
            options={graceChoices.map(([label, s]) => (
              <option key={s} value={String(s)}>
                {label}
              </option>
            ))}
          />
        </div>
        <DialogActions onCancel={props.onClose} busy={busy} submitLabel="Regenerate" />
      </form>
    </Dialog>
  );
}
