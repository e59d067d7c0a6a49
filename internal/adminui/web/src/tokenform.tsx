// The create and edit form of an API token. It offers only what the
// viewer may grant (see ceiling.ts): access levels, roles, cells and
// durations beyond the viewer's reach are disabled, with the reason in a line.
import { useEffect, useMemo, useState } from "preact/hooks";
import { APIToken, Connection, ContentType, Persona, Q, Role, TokenType, gql, message, nodes, readable } from "./api";
import {
  Avatar,
  AvatarURLField,
  FormDialog,
  FormErrors,
  FormField,
  GroupError,
  Matrix,
  cell,
  permissionSet,
  toPermissions,
  typeLabels,
  useForm,
  useSession,
} from "./ui";
import { Lifespan, expiryLimit, expiryRefusal, grantCeiling, lifespanRefusal, typeRefusal } from "./ceiling";
import { formatAbsolute } from "./dates";

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
  const limit = expiryLimit(session);
  const [type, setType] = useState<TokenType>(editing?.type ?? (typeRefusal(session, "READ_ONLY", null) ? "CUSTOM" : "READ_ONLY"));
  const [typeChosen, setTypeChosen] = useState(!!editing);
  const [duration, setDuration] = useState<Duration>(() => defaultDuration(session, editing));
  const [date, setDate] = useState(isoDate(limit ?? new Date(Date.now() + 30 * 86400e3)));
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
  const [catalogLoaded, setCatalogLoaded] = useState(false);

  const form = useForm(
    tokenFields,
    async () => {
      setErrors(new FormErrors());
      const input: Record<string, unknown> = { name, description, type };
      if (code.trim() || editing) input.code = code.trim() || undefined;
      if (duration === "DATE") {
        let d = new Date(date + "T23:59:59");
        if (isNaN(d.getTime())) {
          setErrors(new FormErrors({ expiresAt: "Choose a valid date." }));
          form.setBusy(false);
          return;
        }
        // The viewer's own last day ends when the viewer does.
        if (limit && d > limit && date === isoDate(limit)) d = limit;
        const refusal = expiryRefusal(session, d);
        if (refusal) {
          setErrors(new FormErrors({ expiresAt: refusal }));
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
        if (c) {
          setContentTypes(nodes(c.contentTypes));
          setCatalogLoaded(true);
        }
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

  // What the viewer may grant: the access levels, cells and roles within it.
  const ceiling = grantCeiling(session, contentTypes);
  const refusals = Object.fromEntries(
    (["READ_ONLY", "FULL_ACCESS", "CUSTOM"] as TokenType[]).map((t) => [t, typeRefusal(session, t, catalogLoaded ? contentTypes : null)]),
  ) as Record<TokenType, string>;
  // A default the catalog shows to be out of reach moves to one within it.
  useEffect(() => {
    if (!typeChosen && refusals[type]) setType(refusals.READ_ONLY ? "CUSTOM" : "READ_ONLY");
  }, [refusals[type], typeChosen]);
  const roleOutOfReach = (r: Role) => !!ceiling && !r.permissions.every((p) => ceiling.has(cell(p.contentType, p.action)));
  const durationRefusal = (d: Duration) =>
    d === "KEEP" ? (editing ? expiryRefusal(session, editing.expiresAt) : "") : d === "DATE" ? "" : lifespanRefusal(session, d);
  const durations: [Duration, string][] = [
    ...(editing ? ([["KEEP", "Keep the current expiry"]] as [Duration, string][]) : []),
    ["DAYS_7", "7 days"],
    ["DAYS_30", "30 days"],
    ["DAYS_90", "90 days"],
    ["UNLIMITED", "Unlimited"],
    ["DATE", "Until a date…"],
  ];
  const durationLimited = durations.some(([d]) => durationRefusal(d));

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
            <label class={"radio" + (refusals[t] ? " radio-disabled" : "")} key={t}>
              <input
                type="radio"
                name="type"
                value={t}
                checked={type === t}
                disabled={!!refusals[t] && type !== t}
                onChange={() => {
                  setType(t);
                  setTypeChosen(true);
                }}
              />{" "}
              {typeLabels[t]}
              <span class={"hint" + (refusals[t] ? " refusal" : "")} data-refusal={refusals[t] ? t : undefined}>
                {refusals[t] ||
                  (t === "READ_ONLY"
                    ? "Every read-only action on every content type."
                    : t === "FULL_ACCESS"
                      ? "Every action on every content type."
                      : "Only the roles and permissions you choose below.")}
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
            hint={
              <>
                {editing && <>Currently expires: {editing.expiresAt ? formatAbsolute(editing.expiresAt) : "never"}. </>}
                {durationLimited && limit && (
                  <span class="refusal" data-refusal="duration">
                    Your token expires {formatAbsolute(limit.toISOString())}, so no token you make may outlive it.
                  </span>
                )}
              </>
            }
            value={duration}
            onValue={(v) => setDuration(v as Duration)}
            options={durations.map(([d, label]) => (
              <option key={d} value={d} disabled={!!durationRefusal(d)}>
                {label}
                {durationRefusal(d) ? " (beyond your token’s expiry)" : ""}
              </option>
            ))}
          />
          {duration === "DATE" && (
            <FormField
              label="Expires on"
              name="expiresAt"
              errors={errors}
              type="date"
              min={isoDate(new Date(Date.now() + 86400e3))}
              max={limit ? isoDate(limit) : undefined}
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
                  <label class="checkbox" key={r.id} title={roleOutOfReach(r) ? "It grants permissions your token does not hold." : r.description}>
                    <input
                      type="checkbox"
                      name="role"
                      value={r.id}
                      checked={roleIDs.has(r.id)}
                      disabled={roleOutOfReach(r) && !roleIDs.has(r.id)}
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
              {roles.some((r) => roleOutOfReach(r) && !roleIDs.has(r.id)) && (
                <p class="hint refusal" data-refusal="roles">
                  Greyed-out roles grant permissions your token does not hold.
                </p>
              )}
              <GroupError text={errors.fields.roleIDs} />
            </fieldset>
          )}
          <fieldset class="fieldset" data-field="permissions">
            <legend>Permissions</legend>
            <p class="hint">
              Cells a chosen role grants are checked and locked.
              {ceiling && <span class="refusal"> Greyed-out cells are permissions your token does not hold, so it cannot grant them.</span>}
            </p>
            {contentTypes.length > 0 ? (
              <Matrix contentTypes={contentTypes} value={cells} onChange={setCells} locked={locked} ceiling={ceiling} label={matrixLabel} />
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


/** The first duration the viewer may give: 30 days, else 7, else a date (its own last day). */
function defaultDuration(session: ReturnType<typeof useSession>, editing: APIToken | undefined): Duration {
  if (editing && !expiryRefusal(session, editing.expiresAt)) return "KEEP";
  for (const d of ["DAYS_30", "DAYS_7"] as Lifespan[]) if (!lifespanRefusal(session, d)) return d;
  return "DATE";
}
