// The create and edit form of an API token. It offers only what the
// viewer may grant (see ceiling.ts): access levels, roles, cells and
// durations beyond the viewer's reach are disabled, with the reason in a line.
// Its fields are checked in the browser before anything is sent
// (validate.ts), and the server's errors are explained at the controls
// they concern (errors.ts).
import { useEffect, useMemo, useState } from "preact/hooks";
import { APIToken, Connection, ContentType, Persona, Q, Role, TokenPolicy, TokenType, gql, nodes, readable } from "./api";
import { message } from "./errors";
import { checkAvatarURL, checkDescription, checkName, checkSecret, checkSlug, problems } from "./validate";
import { PersonaChoice, PersonaPicker, searchPersonas, tokenCount } from "./personapicker";
import {
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
  useDebounced,
  useForm,
  useSession,
} from "./ui";
import { Lifespan, expiryLimit, expiryRefusal, grantCeiling, lifespanRefusal, typeRefusal } from "./ceiling";
import { formatAbsolute } from "./dates";
import { PolicyFields, PolicyState, initialPolicy, policyCheck, policyInUse, policyInput, policyLabels, policySentences } from "./tokenpolicy";

type Duration = "KEEP" | "DAYS_7" | "DAYS_30" | "DAYS_90" | "UNLIMITED" | "DATE";
type PersonaMode = "token" | "existing" | "new";

// The server's fields the form has controls for, by the controls' labels.
const labels: Record<string, string> = {
  name: "Name",
  code: "Code",
  description: "Description",
  type: "Access level",
  lifespan: "Token duration",
  expiresAt: "Expiry date",
  personaID: "Persona",
  "persona.name": "Persona name",
  "persona.avatarURL": "Avatar URL",
  roleIDs: "Roles",
  permissions: "Permissions",
  secret: "Token value",
  ...policyLabels,
};

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
  const [persona, setPersona] = useState<Persona | null>(editing?.persona ?? null);
  const [personaName, setPersonaName] = useState("");
  const [avatarURL, setAvatarURL] = useState("");
  const [roleIDs, setRoleIDs] = useState<Set<string>>(new Set((editing?.roles ?? []).map((r) => r.id)));
  const [cells, setCells] = useState<Set<string>>(permissionSet(editing?.permissions));
  const [ownSecret, setOwnSecret] = useState(false);
  const [secret, setSecret] = useState("");
  const [roles, setRoles] = useState<Role[]>([]);
  const [contentTypes, setContentTypes] = useState<ContentType[]>([]);
  const [catalogLoaded, setCatalogLoaded] = useState(false);
  const canPickPersona = session.can("persona", "read");
  // Limits and conditions: for an edit, where the token's policy stands
  // (loaded when the form opens), so that only what changes is sent.
  const [policy, setPolicy] = useState<PolicyState>(() => initialPolicy(session));
  const [policyStart, setPolicyStart] = useState<PolicyState | null>(null);
  const [policyOpen, setPolicyOpen] = useState(false);
  const policyReady = !editing || policyStart !== null;

  // The viewer's own last day ends when the viewer does.
  const clampToLimit = (d: Date) => (limit && d > limit && date === isoDate(limit) ? limit : d);

  // The browser's own check: what the server would refuse for certain.
  const check = (field: string): string => {
    switch (field) {
      case "name":
        return checkName("Name", name);
      case "code":
        return code.trim() ? checkSlug("Code", code.trim(), 100) : "";
      case "description":
        return checkDescription(description);
      case "expiresAt": {
        if (duration !== "DATE") return "";
        const d = new Date(date + "T23:59:59");
        if (!date || isNaN(d.getTime())) return "Choose a date.";
        if (d.getTime() <= Date.now()) return "Choose a date in the future.";
        return expiryRefusal(session, clampToLimit(d));
      }
      case "personaID":
        return personaMode === "existing" && !persona ? "Choose a persona from the list, or another option above." : "";
      case "persona.name":
        return personaMode === "new" ? checkName("Persona name", personaName) : "";
      case "persona.avatarURL":
        return personaMode === "new" ? checkAvatarURL(avatarURL) : "";
      case "secret":
        return !editing && ownSecret ? checkSecret(secret) : "";
    }
    if (field in policyLabels) return policyReady ? policyCheck(field, policy, session) : "";
    return "";
  };

  const form = useForm({
    labels,
    check,
    validate: () => problems(Object.fromEntries(Object.keys(labels).map((f) => [f, check(f)]))),
    sentences: {
      ...policySentences(policy, session),
      "CONFLICT:name": `Another API token is already called “${name.trim()}”. Choose another name.`,
      "CONFLICT:code": `Another API token already has the code “${code.trim()}”. Choose another, or leave Code empty to have one made from the name.`,
      "CONFLICT:secret": "This token value is already in use. Choose another.",
      "CONFLICT:persona.name": `A persona named “${personaName.trim()}” already exists. Choose “An existing persona” to use it, or give another name.`,
      "BAD_USER_INPUT:personaID": "This persona no longer exists. Choose another.",
      "FORBIDDEN:personaID": "Your token may not give this persona: tokens stronger than yours act as it.",
      "FORBIDDEN:expiresAt": () => expiryRefusal(session, null) || "Your token may not give this expiry.",
      "FORBIDDEN:roleIDs": "A chosen role grants permissions your token does not hold. Untick it.",
      "BAD_USER_INPUT:roleIDs": "A chosen role no longer exists. Close the form and open it again.",
      "BAD_USER_INPUT:permissions": "A ticked permission is on a content type or action that no longer exists. Close the form and open it again.",
      "BAD_USER_INPUT:secret": () =>
        check("secret") || "This value starts with lk_ but is not a Latchkey token (its checksum is wrong). Choose a value with another start.",
    },
    save: async () => {
      const input: Record<string, unknown> = { name, description, type };
      if (code.trim() || editing) input.code = code.trim() || undefined;
      if (duration === "DATE") input.expiresAt = clampToLimit(new Date(date + "T23:59:59")).toISOString();
      else if (duration !== "KEEP") input.lifespan = duration;
      if (personaMode === "existing" && persona && persona.id !== editing?.persona?.id) input.personaID = persona.id;
      if (personaMode === "new") input.persona = { name: personaName, avatarURL: avatarURL.trim() || undefined };
      if (type === "CUSTOM") {
        input.roleIDs = [...roleIDs];
        // Cells a role already grants are not stored twice.
        input.permissions = toPermissions(new Set([...cells].filter((k) => !locked.has(k))));
      }
      if (!editing && ownSecret) input.secret = secret;
      if (policyReady) Object.assign(input, policyInput(policy, editing ? policyStart : null));
      if (editing) {
        const d = await gql<{ updateAPIToken: APIToken }>(Q.updateToken, { id: editing.id, input, ...readable(session.can) });
        props.onSaved(d.updateAPIToken);
      } else {
        const d = await gql<{ createAPIToken: { apiToken: APIToken; secret: string } }>(Q.createToken, { input, ...readable(session.can) });
        props.onSaved(d.createAPIToken.apiToken, d.createAPIToken.secret);
      }
    },
  });
  const { errors, setErrors } = form;
  // Changing a group of controls clears the error about the group.
  const edit =
    <T,>(field: string, set: (v: T) => void) =>
    (v: T) => {
      errors.edited(field);
      set(v);
    };

  useEffect(() => {
    const load = async () => {
      try {
        const [r, c] = await Promise.all([
          session.can("role", "read") ? gql<{ roles: Connection<Role> }>(Q.roles) : null,
          session.can("content-type", "read") ? gql<{ contentTypes: Connection<ContentType> }>(Q.contentTypes) : null,
        ]);
        if (editing) {
          const p = await gql<{ node: TokenPolicy | null }>(Q.tokenPolicy, { id: editing.id });
          if (p.node) {
            const start = initialPolicy(session, p.node);
            setPolicy(start);
            setPolicyStart(start);
            setPolicyOpen(policyInUse(start));
          }
        }
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

  // A persona already named like the token: reusing it beats making "Name (2)".
  const [namesake, setNamesake] = useState<PersonaChoice | null>(null);
  const settledName = useDebounced(name.trim(), 300);
  useEffect(() => {
    setNamesake(null);
    if (editing || !canPickPersona || personaMode !== "token" || !settledName) return;
    let live = true;
    searchPersonas(settledName, session.can("api-token", "read"), 20)
      .then((r) => live && setNamesake(r.items.find((p) => p.name.toLowerCase() === settledName.toLowerCase()) ?? null))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [settledName, personaMode]);

  // Cells the chosen roles grant, and which role grants each.
  const locked = useMemo(() => {
    const m = new Map<string, string>();
    for (const r of roles) if (roleIDs.has(r.id)) for (const p of r.permissions) if (!m.has(cell(p.contentType, p.action))) m.set(cell(p.contentType, p.action), r.name);
    return m;
  }, [roles, roleIDs]);

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
  const choosePersonaMode = edit("personaID", (m: PersonaMode) => {
    errors.edited("persona");
    setPersonaMode(m);
  });

  const matrixLabel = "Permissions of this token";
  return (
    <FormDialog title={editing ? `Edit API token “${editing.name}”` : "Create new API token"} onClose={props.onClose} form={form} wide bodyClass="token-form">
      <div class="grid-2">
        <FormField label="Name" name="name" errors={errors} required value={name} onValue={setName} />
        <FormField
          label="Code"
          name="code"
          errors={errors}
          hint={editing ? undefined : "A unique slug; left empty, it is made from the name."}
          placeholder={editing ? "" : "e.g. billing-export"}
          spellcheck={false}
          value={code}
          onValue={setCode}
        />
      </div>
      <FormField label="Description" name="description" errors={errors} rows={2} value={description} onValue={setDescription} />

      <fieldset class="fieldset" data-field="persona">
        <legend>Persona</legend>
        <p class="hint">The identity the token acts as: what it does is attributed to this name and avatar. Tokens may share one.</p>
        <div class="radio-row">
          {!editing && (
            <label>
              <input type="radio" name="persona-mode" value="token" checked={personaMode === "token"} onChange={() => choosePersonaMode("token")} /> A
              new one named after the token
            </label>
          )}
          {canPickPersona && (
            <label>
              <input type="radio" name="persona-mode" value="existing" checked={personaMode === "existing"} onChange={() => choosePersonaMode("existing")} /> An
              existing persona
            </label>
          )}
          {session.can("persona", "create") && (
            <label>
              <input type="radio" name="persona-mode" value="new" checked={personaMode === "new"} onChange={() => choosePersonaMode("new")} /> A new
              persona
            </label>
          )}
        </div>
        {personaMode === "token" && namesake && (
          <p class="hint namesake" data-testid="namesake">
            A persona named “{namesake.name}” exists
            {namesake.tokens ? <> ({tokenCount(namesake.tokens.totalCount)})</> : null}; a new one would be numbered.{" "}
            <button
              type="button"
              class="link-button"
              onClick={() => {
                setPersona(namesake);
                choosePersonaMode("existing");
              }}
            >
              Use “{namesake.name}”
            </button>
          </p>
        )}
        {personaMode === "existing" && (
          <PersonaPicker
            name="personaID"
            label="Persona"
            errors={errors}
            value={persona}
            onChange={setPersona}
            hint="Type part of a name; the list shows how many tokens act as each persona."
          />
        )}
        {personaMode === "new" && (
          <div class="grid-2 persona-new">
            <FormField label="Persona name" name="persona.name" control="persona-name" errors={errors} required value={personaName} onValue={setPersonaName} />
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
                  errors.edited("type");
                  errors.edited("roleIDs");
                  errors.edited("permissions");
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
          <GroupError text={errors.fields.type} />
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
            onValue={(v) => {
              errors.edited("expiresAt");
              setDuration(v as Duration);
            }}
            options={durations.map(([d, label]) => (
              <option key={d} value={d} disabled={!!durationRefusal(d)}>
                {label}
                {durationRefusal(d) ? " (beyond your token’s expiry)" : ""}
              </option>
            ))}
          />
          {duration === "DATE" && (
            <FormField
              label="Expiry date"
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
                <input
                  type="checkbox"
                  name="own-secret"
                  checked={ownSecret}
                  onChange={(e) => edit("secret", setOwnSecret)((e.target as HTMLInputElement).checked)}
                />{" "}
                Specify my own token
              </label>
              {ownSecret && (
                <FormField
                  label="Token value"
                  name="secret"
                  errors={errors}
                  hint="32 to 256 printable characters without spaces, unique."
                  autocomplete="off"
                  spellcheck={false}
                  required
                  value={secret}
                  onValue={setSecret}
                />
              )}
            </div>
          )}
        </div>
      </div>

      {policyReady ? (
        <PolicyFields
          state={policy}
          set={setPolicy}
          errors={errors}
          session={session}
          // A group with an error opens, so that the error shows and its control takes the focus.
          open={policyOpen || Object.keys(errors.fields).some((f) => f in policyLabels)}
          onToggle={setPolicyOpen}
        />
      ) : (
        <p class="hint">Loading the token’s limits and conditions…</p>
      )}

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
                        errors.edited("permissions");
                        edit("roleIDs", setRoleIDs)(next);
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
              Cells a chosen role grants are ticked and marked with the role’s name; untick the role to change them.
              {ceiling && <span class="refusal"> Greyed-out cells are permissions your token does not hold, so it cannot grant them.</span>}
            </p>
            {contentTypes.length > 0 ? (
              <Matrix contentTypes={contentTypes} value={cells} onChange={edit("permissions", setCells)} locked={locked} ceiling={ceiling} label={matrixLabel} />
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
