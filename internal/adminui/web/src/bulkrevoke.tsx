// Bulk revoke, for incidents: choose which tokens, see exactly which ones a
// dry run finds, then type the count to revoke them. When the dry run listed
// every match, the revoke is held to those tokens, so a token made in the
// meantime is not revoked unseen.
import { useEffect, useState } from "preact/hooks";
import { APIToken, Connection, Persona, Q, Role, gql, nodes } from "./api";
import { AppLink, Dialog, DialogActions, ErrorBanner, FormField, useForm, useSession, typeLabels } from "./ui";
import { Page } from "./page";
import { PersonaChoice, PersonaPicker } from "./personapicker";
import { When } from "./dates";
import { tokenPath } from "./nav";
import { useQueryState } from "./urlstate";
import { problems } from "./validate";

type Found = Pick<APIToken, "id" | "name" | "type" | "status" | "expiresAt"> & { persona?: Persona };

interface Result {
  count: number;
  apiTokens: Found[];
}

const foundFields = `id name type status expiresAt`;
const revokeMany = `mutation RevokeAPITokens($where: APITokenWhereInput!, $dryRun: Boolean!) {
  revokeAPITokens(where: $where, dryRun: $dryRun) { count apiTokens { ${foundFields} } } }`;

/** How many the dry run lists at most (admin/bulk.go: BulkRevokePage). */
const listed = 100;

// The filter in the URL, so that a link names the same tokens.
const filterDefaults = { name: "", type: "", status: "", persona: "", role: "", before: "" };
type Filter = typeof filterDefaults;

/** The filter as APITokenWhereInput; {} when nothing is chosen. */
export function whereOf(f: Filter): Record<string, unknown> {
  const w: Record<string, unknown> = {};
  if (f.name.trim()) w.nameContainsFold = f.name.trim();
  if (f.type) w.type = f.type;
  if (f.status) w.status = f.status;
  if (f.persona) w.personaID = f.persona;
  if (f.role) w.roleID = f.role;
  // The whole day chosen, in the browser's time zone.
  if (f.before) w.createdAtLT = new Date(f.before + "T00:00:00").toISOString();
  return w;
}

/** The words the admin types to confirm. */
export function confirmPhrase(n: number): string {
  return `revoke ${n} token${n === 1 ? "" : "s"}`;
}

function plural(n: number): string {
  return `${n} token${n === 1 ? "" : "s"}`;
}

export function BulkRevokePage() {
  const session = useSession();
  const [f, setF] = useQueryState(filterDefaults);
  const [persona, setPersona] = useState<Persona | null>(null);
  const [roles, setRoles] = useState<Role[]>([]);
  const [preview, setPreview] = useState<{ where: Record<string, unknown>; result: Result; own: Found | null } | null>(null);
  const [done, setDone] = useState<{ result: Result; expected: number } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const ownID = session.viewer.apiToken.id;

  useEffect(() => {
    if (session.can("role", "read"))
      gql<{ roles: Connection<Role> }>(Q.roles)
        .then((d) => setRoles(nodes(d.roles)))
        .catch(() => setRoles([]));
    if (f.persona && session.can("persona", "read"))
      gql<{ node: Persona | null }>(Q.persona, { id: f.persona })
        .then((d) => setPersona(d.node))
        .catch(() => {});
  }, []);

  // A changed filter makes the preview stale.
  const change = (patch: Partial<Filter>) => {
    setF(patch);
    setPreview(null);
  };

  const labels = { where: "Filter", name: "Name contains", before: "Created before" };
  const form = useForm({
    labels,
    validate: () => problems({ where: Object.keys(whereOf(f)).length === 0 ? "Choose at least one condition: a dry run of nothing would match every token." : "" }),
    sentences: {
      "BAD_USER_INPUT:where": "More than 10,000 tokens match. Narrow the conditions and revoke them in parts.",
      FORBIDDEN: "Your token may not revoke tokens.",
    },
    save: async () => {
      const where = whereOf(f);
      // The list holds the first 100 only; whether the viewer's own token
      // matches is asked on its own.
      const [d, mine] = await Promise.all([
        gql<{ revokeAPITokens: Result }>(revokeMany, { where, dryRun: true }),
        gql<{ revokeAPITokens: Result }>(revokeMany, { where: { and: [where, { idIn: [ownID] }] }, dryRun: true }),
      ]);
      setDone(null);
      setPreview({ where, result: d.revokeAPITokens, own: mine.revokeAPITokens.apiTokens[0] ?? null });
      form.setBusy(false);
    },
  });

  const result = preview?.result;
  const own = preview?.own;
  return (
    <Page
      id="bulk-title"
      title="Bulk revoke"
      intro={
        <>
          Revoke many tokens at once, for example after a leak. Choose which tokens, run a dry run to see exactly which ones match,
          then confirm. Revoked tokens stop working on every instance within a second; each can be restored later.
        </>
      }
    >
      <form class="filters card bulk-filters" ref={form.formRef} onSubmit={form.submit} noValidate aria-label="Which tokens to revoke">
        <ErrorBanner text={form.errors.general} />
        <FormField
          label="Name contains"
          name="name"
          errors={form.errors}
          type="search"
          placeholder="Part of a name"
          value={f.name}
          onValue={(v) => (form.errors.edited("where"), change({ name: v }))}
        />
        <FormField
          label="Access level"
          name="type"
          errors={form.errors}
          value={f.type}
          onValue={(v) => (form.errors.edited("where"), change({ type: v }))}
          options={
            <>
              <option value="">Any</option>
              {Object.entries(typeLabels).map(([k, v]) => (
                <option key={k} value={k}>
                  {v}
                </option>
              ))}
            </>
          }
        />
        <FormField
          label="Status"
          name="status"
          errors={form.errors}
          value={f.status}
          onValue={(v) => (form.errors.edited("where"), change({ status: v }))}
          hint="Revoked tokens are never matched again."
          options={
            <>
              <option value="">Active or expired</option>
              <option value="ACTIVE">Active</option>
              <option value="EXPIRED">Expired</option>
            </>
          }
        />
        {session.can("persona", "read") && (
          <div class="bulk-persona">
            <PersonaPicker
              name="persona"
              label="Persona"
              errors={form.errors}
              value={persona}
              onChange={(p: PersonaChoice) => {
                form.errors.edited("where");
                setPersona(p);
                change({ persona: p.id });
              }}
            />
            {f.persona && (
              <button
                type="button"
                class="button small"
                onClick={() => {
                  setPersona(null);
                  change({ persona: "" });
                }}
              >
                Any persona
              </button>
            )}
          </div>
        )}
        {roles.length > 0 && (
          <FormField
            label="Role"
            name="role"
            errors={form.errors}
            value={f.role}
            onValue={(v) => (form.errors.edited("where"), change({ role: v }))}
            options={
              <>
                <option value="">Any</option>
                {roles.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </>
            }
          />
        )}
        <FormField
          label="Created before"
          name="before"
          errors={form.errors}
          type="date"
          value={f.before}
          onValue={(v) => (form.errors.edited("where"), change({ before: v }))}
        />
        <div class="filters-actions">
          {form.errors.fields.where && (
            <p class="error" role="alert" data-field="where">
              {form.errors.fields.where}
            </p>
          )}
          <button type="submit" class="button primary" disabled={form.busy} data-testid="dry-run">
            Dry run
          </button>
        </div>
      </form>

      {result && (
        <section class="card bulk-preview" aria-labelledby="preview-title" data-testid="bulk-preview">
          <h2 id="preview-title">
            {result.count === 0 ? "No token matches" : `${plural(result.count)} would be revoked`}
          </h2>
          {result.count > 0 && (
            <>
              {own && (
                <p class="banner banner-warning own-token-warning" role="note" data-testid="own-token-in-bulk">
                  Your own token, <strong>“{own.name}”</strong>, is among them: you are signed in with it, so revoking signs you out.
                </p>
              )}
              <ul class="bulk-list" data-testid="bulk-names">
                {result.apiTokens.map((t) => (
                  <li key={t.id} data-token-name={t.name}>
                    <AppLink href={tokenPath(t.id)}>{t.name}</AppLink>{" "}
                    <span class="muted">
                      {typeLabels[t.type]}, {t.status === "ACTIVE" ? "active" : "expired"}, expires <When iso={t.expiresAt} empty="never" />
                    </span>
                  </li>
                ))}
              </ul>
              {result.count > result.apiTokens.length && (
                <p class="hint">
                  The first {listed} by name are listed. The revoke applies to every token that matches the conditions when you confirm.
                </p>
              )}
              <button type="button" class="button danger" data-testid="bulk-revoke" onClick={() => setConfirming(true)}>
                Revoke {plural(result.count)}…
              </button>
            </>
          )}
        </section>
      )}

      {done && (
        <section class="card bulk-result" aria-labelledby="result-title" data-testid="bulk-result" role="status">
          <h2 id="result-title">{plural(done.result.count)} revoked</h2>
          {done.result.count !== done.expected && (
            <p class="banner banner-warning" role="note">
              The dry run found {done.expected}; {done.result.count} were still there to revoke (the others changed in the meantime).
            </p>
          )}
          <ul class="bulk-list">
            {done.result.apiTokens.map((t) => (
              <li key={t.id} data-token-name={t.name}>
                <AppLink href={tokenPath(t.id)}>{t.name}</AppLink>
              </li>
            ))}
          </ul>
        </section>
      )}

      {confirming && result && preview && (
        <TypedConfirmDialog
          count={result.count}
          own={!!own}
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            // Everything was listed: revoke exactly those, if they still match.
            const where = result.count <= result.apiTokens.length ? { and: [preview.where, { idIn: result.apiTokens.map((t) => t.id) }] } : preview.where;
            const d = await gql<{ revokeAPITokens: Result }>(revokeMany, { where, dryRun: false });
            setConfirming(false);
            setPreview(null);
            setDone({ result: d.revokeAPITokens, expected: result.count });
            session.notify(`${plural(d.revokeAPITokens.count)} revoked.`);
          }}
        />
      )}
    </Page>
  );
}

/** The last question: the admin types "revoke N tokens" before the button works. It opens on Cancel. */
function TypedConfirmDialog(props: { count: number; own: boolean; onClose: () => void; onConfirm: () => Promise<void> }) {
  const phrase = confirmPhrase(props.count);
  const [typed, setTyped] = useState("");
  const matches = typed.trim().toLowerCase() === phrase;
  const form = useForm({
    labels: { confirm: "Confirmation" },
    validate: () => problems({ confirm: matches ? "" : `Type “${phrase}” to confirm.` }),
    sentences: { FORBIDDEN: "Your token may not revoke tokens.", "BAD_USER_INPUT:where": "More than 10,000 tokens match; narrow the conditions." },
    save: props.onConfirm,
  });
  return (
    <Dialog title={`Revoke ${plural(props.count)}`} onClose={props.onClose} initialFocus="[data-cancel]" class="confirm-dialog">
      <form ref={form.formRef} onSubmit={form.submit} noValidate>
        <div class="dialog-body">
          <ErrorBanner text={form.errors.general} />
          <p>
            Every service using {props.count === 1 ? "this token" : "these tokens"} loses access at once. Each can be restored later from its
            page.
          </p>
          {props.own && (
            <p class="banner banner-warning own-token-warning" role="note">
              This includes the token you are signed in with: you will be signed out.
            </p>
          )}
          <FormField
            label={`Type “${phrase}” to confirm`}
            name="confirm"
            errors={form.errors}
            value={typed}
            onValue={setTyped}
            autocomplete="off"
            spellcheck={false}
          />
        </div>
        <DialogActions onCancel={props.onClose} busy={form.busy} submitLabel={`Revoke ${plural(props.count)}`} danger disabled={!matches} />
      </form>
    </Dialog>
  );
}
