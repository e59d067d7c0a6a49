// Everything one can do to a token, shared by the list and the detail page:
// the "⋯" menu's items and the dialogs behind them (create, edit, the
// show-once secret, regenerate, revoke, delete). Acts on the viewer's own
// token say so and ask again.
import { useState } from "preact/hooks";
import { APIToken, Persona, Q, gql, readable, setToken } from "./api";
import { message } from "./errors";
import { ConfirmDialog, Dialog, DialogActions, ErrorBanner, FormErrors, FormField, Session, ShowOnceDialog, useSession } from "./ui";
import { MenuItem } from "./menu";
import { TokenDialog } from "./tokenform";

// Tokens created since the page was loaded, newest first: the list shows
// them at its top, marked new, whatever its sort and page, until a reload.
const pinned: string[] = [];

export function pinnedTokens(): string[] {
  return pinned.slice(0, 20);
}

type Modal =
  | { kind: "create" }
  | { kind: "edit"; token: APIToken }
  | { kind: "secret"; token: APIToken; secret: string; regenerated: boolean }
  | { kind: "regenerate"; token: APIToken }
  | { kind: "revoke"; token: APIToken }
  | { kind: "delete"; token: APIToken }
  | { kind: "orphan"; token: APIToken; persona: Persona }
  | null;

const isOwn = (session: Session, t: APIToken) => t.id === session.viewer.apiToken.id;

/** The sentence that warns before acting on the viewer's own token. */
function OwnTokenWarning(props: { consequence: string }) {
  return (
    <div class="banner banner-warning own-token-warning" role="note">
      <strong>This is the token you are signed in with.</strong> {props.consequence}
    </div>
  );
}

/**
 * The actions on tokens the viewer may take: `items(t)` for a token's menu,
 * `create()` to open the create dialog, and `dialogs` to render. refresh
 * reloads what the page shows; onDeleted runs after a token is deleted.
 */
export function useTokenActions(opts: { refresh: () => void; onDeleted?: (t: APIToken) => void }) {
  const session = useSession();
  const [modal, setModal] = useState<Modal>(null);
  const close = () => setModal(null);

  const restore = async (t: APIToken) => {
    try {
      await gql(Q.restoreToken, { id: t.id });
      session.notify(`“${t.name}” restored.`);
    } catch (e) {
      session.notify(`“${t.name}” was not restored: ${message(e)}`);
    }
    opts.refresh();
  };

  const items = (t: APIToken): MenuItem[] => {
    const list: MenuItem[] = [];
    if (session.can("api-token", "update")) list.push({ label: "Edit", action: "edit", run: () => setModal({ kind: "edit", token: t }) });
    if (session.can("api-token", "regenerate"))
      list.push({ label: "Regenerate", action: "regenerate", run: () => setModal({ kind: "regenerate", token: t }) });
    if (session.can("api-token", "revoke"))
      list.push(
        t.status === "REVOKED"
          ? { label: "Restore", action: "restore", run: () => restore(t) }
          : { label: "Revoke", action: "revoke", danger: true, run: () => setModal({ kind: "revoke", token: t }) },
      );
    if (session.can("api-token", "delete")) list.push({ label: "Delete", action: "delete", danger: true, run: () => setModal({ kind: "delete", token: t }) });
    return list;
  };

  // After a delete (and the question about its persona): the page moves on.
  // A list drops the row at once; a token's page leaves once asked.
  const deleted = (t: APIToken) => opts.onDeleted?.(t);

  // Revoking or deleting the viewer's own token ends the session: say why.
  const signedOutBy = (what: string) => {
    session.signOut();
    session.notify(`You ${what} the token you were signed in with, so you are signed out.`);
  };

  const dialogs = (
    <>
      {(modal?.kind === "create" || modal?.kind === "edit") && (
        <TokenDialog
          token={modal.kind === "edit" ? modal.token : undefined}
          onClose={close}
          onSaved={(token, secret) => {
            if (secret) {
              pinned.unshift(token.id);
              setModal({ kind: "secret", token, secret, regenerated: false });
            } else {
              setModal(null);
              session.notify(`“${token.name}” saved.`);
            }
            opts.refresh();
          }}
        />
      )}
      {modal?.kind === "secret" && <SecretDialog token={modal.token} secret={modal.secret} regenerated={modal.regenerated} onClose={close} />}
      {modal?.kind === "regenerate" && (
        <RegenerateDialog
          token={modal.token}
          own={isOwn(session, modal.token)}
          onClose={close}
          onDone={(token, secret) => {
            // The viewer's own token: its old secret may already be dead, so
            // the session switches to the new one before anything reloads
            // (a 401 would sign out and lose the show-once dialog).
            if (isOwn(session, token)) setToken(secret);
            opts.refresh();
            setModal({ kind: "secret", token, secret, regenerated: true });
          }}
        />
      )}
      {modal?.kind === "revoke" && (
        <ConfirmDialog
          title={isOwn(session, modal.token) ? "Revoke your own API token" : "Revoke API token"}
          confirmLabel={isOwn(session, modal.token) ? "Revoke and sign out" : "Revoke"}
          danger
          acknowledge={isOwn(session, modal.token) ? "Yes, revoke the token I am signed in with" : undefined}
          onClose={close}
          onConfirm={async () => {
            const t = modal.token;
            await gql(Q.revokeToken, { id: t.id });
            setModal(null);
            if (isOwn(session, t)) return signedOutBy("revoked");
            session.notify(`“${t.name}” revoked.`, { label: "Undo", run: () => restore(t) });
            opts.refresh();
          }}
        >
          <p>
            Revoke <strong>“{modal.token.name}”</strong>? Anything using it is refused at once. You can restore it later.
          </p>
          {isOwn(session, modal.token) && <OwnTokenWarning consequence="Revoking it signs you out of the admin at once." />}
        </ConfirmDialog>
      )}
      {modal?.kind === "delete" && (
        <ConfirmDialog
          title={isOwn(session, modal.token) ? "Delete your own API token" : "Delete API token"}
          confirmLabel={isOwn(session, modal.token) ? "Delete and sign out" : "Yes, delete API token"}
          danger
          acknowledge={isOwn(session, modal.token) ? "Yes, delete the token I am signed in with" : undefined}
          onClose={close}
          onConfirm={async () => {
            const t = modal.token;
            await gql(Q.deleteToken, { id: t.id });
            if (isOwn(session, t)) {
              setModal(null);
              return signedOutBy("deleted");
            }
            session.notify(`“${t.name}” deleted.`);
            if (!opts.onDeleted) opts.refresh();
            // Its persona acts for no token now: offer to delete it too.
            const orphan = await orphanPersona(session, t);
            if (orphan) return setModal({ kind: "orphan", token: t, persona: orphan });
            setModal(null);
            deleted(t);
          }}
        >
          <p>
            Delete the API token <strong>“{modal.token.name}”</strong>? Anything using it stops working at once. This cannot be
            undone.
          </p>
          {isOwn(session, modal.token) && <OwnTokenWarning consequence="Deleting it signs you out of the admin at once." />}
        </ConfirmDialog>
      )}
      {modal?.kind === "orphan" && (
        <ConfirmDialog
          title="Delete its persona too?"
          confirmLabel="Delete the persona"
          cancelLabel="Keep the persona"
          danger
          sentences={{ CONFLICT: "A token acts as this persona again, so it was kept." }}
          onClose={() => {
            setModal(null);
            deleted(modal.token);
          }}
          onConfirm={async () => {
            await gql(Q.deletePersona, { id: modal.persona.id });
            setModal(null);
            session.notify(`Persona “${modal.persona.name}” deleted.`);
            deleted(modal.token);
          }}
        >
          <p>
            “{modal.token.name}” was the last token acting as the persona <strong>“{modal.persona.name}”</strong>. Delete the persona
            as well? Its name stays in the audit log.
          </p>
        </ConfirmDialog>
      )}
    </>
  );

  return { items, dialogs, create: () => setModal({ kind: "create" }) };
}

/**
 * The persona of a deleted token, if no token acts as it any more and the
 * viewer may delete personas; null otherwise (and when that cannot be told).
 */
async function orphanPersona(session: Session, t: APIToken): Promise<Persona | null> {
  if (!t.persona || !session.can("persona", "delete") || !session.can("persona", "read") || !session.can("api-token", "read")) return null;
  try {
    const d = await gql<{ node: (Persona & { tokens?: { totalCount: number } }) | null }>(Q.persona, { id: t.persona.id, withTokens: true });
    return d.node && d.node.tokens?.totalCount === 0 ? d.node : null;
  } catch {
    return null;
  }
}

// ---- Show once ----

/** The token's secret, shown once (ShowOnceDialog). */
export function SecretDialog(props: { token: APIToken; secret: string; regenerated: boolean; onClose: () => void }) {
  return (
    <ShowOnceDialog
      title={props.regenerated ? "API token regenerated" : "API token created"}
      what="token"
      id="secret-value"
      label="Token"
      secret={props.secret}
      onClose={props.onClose}
      intro={
        <>
          The {props.regenerated ? "new " : ""}token for <strong>“{props.token.name}”</strong>:
        </>
      }
      warning={
        <>
          <strong>Copy this token now.</strong> For security it will not be shown again: once you close this window, only its
          hint ({props.token.hint}) is kept.
        </>
      }
    />
  );
}

// ---- Regenerate ----

const graceChoices: [string, number][] = [
  ["Stop working at once", 0],
  ["Keep working for 1 hour", 3600],
  ["Keep working for 24 hours", 86400],
  ["Keep working for 7 days", 7 * 86400],
];

function RegenerateDialog(props: { token: APIToken; own: boolean; onClose: () => void; onDone: (t: APIToken, secret: string) => void }) {
  const session = useSession();
  const [grace, setGrace] = useState(0);
  const [acknowledged, setAcknowledged] = useState(false);
  const [errors, setErrors] = useState(new FormErrors());
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (props.own && !acknowledged) return;
    setBusy(true);
    try {
      const d = await gql<{ regenerateAPIToken: { apiToken: APIToken; secret: string } }>(Q.regenerateToken, {
        ...readable(session.can),
        id: props.token.id,
        grace: grace || null,
      });
      props.onDone(d.regenerateAPIToken.apiToken, d.regenerateAPIToken.secret);
    } catch (err) {
      setErrors(FormErrors.from(err, { labels: { gracePeriodSeconds: "The current secret" } }));
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.own ? "Regenerate your own API token" : "Regenerate API token"} onClose={props.onClose} initialFocus="[data-cancel]">
      <form onSubmit={submit}>
        <div class="dialog-body">
          <p>
            Regenerate <strong>“{props.token.name}”</strong>? It gets a new secret, shown once. Everything using the current
            secret must switch to the new one.
          </p>
          {props.own && (
            <OwnTokenWarning consequence="The admin switches to the new secret; anything else that uses this token must switch too." />
          )}
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
          {props.own && (
            <label class="checkbox acknowledge">
              <input type="checkbox" name="acknowledge" checked={acknowledged} onChange={(e) => setAcknowledged((e.target as HTMLInputElement).checked)} />{" "}
              Yes, regenerate the token I am signed in with
            </label>
          )}
        </div>
        <DialogActions onCancel={props.onClose} busy={busy} submitLabel="Regenerate" danger disabled={props.own && !acknowledged} />
      </form>
    </Dialog>
  );
}
