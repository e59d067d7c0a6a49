// Content types: the resources permissions are about, and their actions.
import { useEffect, useRef, useState } from "preact/hooks";
import { Action, Connection, ContentType, Q, gql, message, nodes } from "./api";
import { ConfirmDialog, Dialog, ErrorBanner, Field, FormErrors, focusFirstError, useSession } from "./ui";
import { DeleteIcon, EditIcon, PlusIcon } from "./icons";

type Modal = { kind: "edit"; contentType?: ContentType } | { kind: "delete"; contentType: ContentType } | null;

const defaultActions: Action[] = [
  { name: "read", readOnly: true },
  { name: "create", readOnly: false },
  { name: "update", readOnly: false },
  { name: "delete", readOnly: false },
];

export function ContentTypesPage() {
  const session = useSession();
  const [items, setItems] = useState<ContentType[] | null>(null);
  const [error, setError] = useState("");
  const [modal, setModal] = useState<Modal>(null);
  const [reload, setReload] = useState(0);
  const [detach, setDetach] = useState(false);

  useEffect(() => {
    gql<{ contentTypes: Connection<ContentType> }>(Q.contentTypes)
      .then((d) => setItems(nodes(d.contentTypes)))
      .catch((e) => setError(message(e)));
  }, [reload]);
  const refresh = () => setReload((n) => n + 1);

  return (
    <section class="page" aria-labelledby="ct-title">
      <div class="page-head">
        <h1 id="ct-title">Content types</h1>
        {session.can("content-type", "create") && (
          <div class="page-actions">
            <button type="button" class="button primary" onClick={() => setModal({ kind: "edit" })}>
              <PlusIcon /> Register content type
            </button>
          </div>
        )}
      </div>
      <p class="page-intro">
        Content types are what permissions are about. The system ones describe Latchkey's own API; register your services'
        resources (say <code>article</code> with a <code>publish</code> action) and let gateways ask Latchkey about them.
      </p>
      <ErrorBanner text={error} />
      {items && (
        <div class="table-wrap">
          <table class="data-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">UID</th>
                <th scope="col">Actions</th>
                <th scope="col">Description</th>
                <th scope="col">
                  <span class="visually-hidden">Row actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((ct) => (
                <tr key={ct.id} data-content-type={ct.uid}>
                  <td>
                    <strong>{ct.displayName}</strong> {ct.system && <span class="badge">System</span>}
                  </td>
                  <td>
                    <code>{ct.uid}</code>
                  </td>
                  <td>
                    {ct.actions.map((a) => (
                      <span key={a.name} class={"chip" + (a.readOnly ? " chip-ro" : "")} title={a.readOnly ? "Read-only action" : undefined}>
                        {a.name}
                      </span>
                    ))}
                  </td>
                  <td>{ct.description}</td>
                  <td class="row-actions">
                    {session.can("content-type", "update") && !ct.system && (
                      <button type="button" class="button small" aria-label={`Edit ${ct.displayName}`} onClick={() => setModal({ kind: "edit", contentType: ct })}>
                        <EditIcon /> Edit
                      </button>
                    )}
                    {session.can("content-type", "delete") && !ct.system && (
                      <button
                        type="button"
                        class="button small danger-outline"
                        aria-label={`Delete ${ct.displayName}`}
                        onClick={() => {
                          setDetach(false);
                          setModal({ kind: "delete", contentType: ct });
                        }}
                      >
                        <DeleteIcon /> Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {modal?.kind === "edit" && (
        <ContentTypeDialog
          contentType={modal.contentType}
          onClose={() => setModal(null)}
          onSaved={(name) => {
            setModal(null);
            session.notify(`Content type “${name}” saved.`);
            refresh();
          }}
        />
      )}
      {modal?.kind === "delete" && (
        <ConfirmDialog
          title="Delete content type"
          confirmLabel="Yes, delete content type"
          danger
          onClose={() => setModal(null)}
          onConfirm={async () => {
            await gql(Q.deleteContentType, { id: modal.contentType.id, detach });
            setModal(null);
            session.notify(`Content type “${modal.contentType.displayName}” deleted.`);
            refresh();
          }}
        >
          <p>
            Delete the content type <strong>“{modal.contentType.displayName}”</strong> (<code>{modal.contentType.uid}</code>)?
          </p>
          <label class="checkbox">
            <input type="checkbox" checked={detach} onChange={(e) => setDetach((e.target as HTMLInputElement).checked)} /> Also revoke
            the permissions on it that roles and tokens hold
          </label>
        </ConfirmDialog>
      )}
    </section>
  );
}

function ContentTypeDialog(props: { contentType?: ContentType; onClose: () => void; onSaved: (name: string) => void }) {
  const editing = props.contentType;
  const [uid, setUID] = useState(editing?.uid ?? "");
  const [displayName, setDisplayName] = useState(editing?.displayName ?? "");
  const [description, setDescription] = useState(editing?.description ?? "");
  const [actions, setActions] = useState<Action[]>(editing?.actions ?? defaultActions);
  const [detach, setDetach] = useState(false);
  const [errors, setErrors] = useState(new FormErrors());
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const setAction = (i: number, a: Action) => setActions(actions.map((x, j) => (j === i ? a : x)));
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const acts = actions.filter((a) => a.name.trim()).map((a) => ({ name: a.name.trim(), readOnly: a.readOnly }));
    try {
      if (editing) await gql(Q.updateContentType, { id: editing.id, input: { displayName, description, actions: acts }, detach });
      else await gql(Q.createContentType, { input: { uid, displayName, description, actions: acts } });
      props.onSaved(displayName);
    } catch (err) {
      setErrors(FormErrors.from(err, ["uid", "displayName", "description", "actions"]));
      setBusy(false);
      requestAnimationFrame(() => focusFirstError(formRef.current));
    }
  };
  return (
    <Dialog title={editing ? `Edit content type “${editing.displayName}”` : "Register content type"} onClose={props.onClose}>
      <form ref={formRef} onSubmit={submit} noValidate>
        <div class="dialog-body">
          <ErrorBanner text={errors.general} />
          <Field label="Display name" name="displayName" errors={errors}>
            {(id, d, inv) => (
              <input
                id={id}
                name="displayName"
                value={displayName}
                aria-describedby={d}
                aria-invalid={inv ? "true" : undefined}
                onInput={(e) => setDisplayName((e.target as HTMLInputElement).value)}
              />
            )}
          </Field>
          <Field label="UID" name="uid" errors={errors} hint={editing ? "The UID cannot change." : "A slug such as article or billing-invoice."}>
            {(id, d, inv) => (
              <input
                id={id}
                name="uid"
                value={uid}
                readOnly={!!editing}
                aria-describedby={d}
                aria-invalid={inv ? "true" : undefined}
                onInput={(e) => setUID((e.target as HTMLInputElement).value)}
              />
            )}
          </Field>
          <Field label="Description" name="description" errors={errors}>
            {(id, d, inv) => (
              <textarea
                id={id}
                name="description"
                rows={2}
                value={description}
                aria-describedby={d}
                aria-invalid={inv ? "true" : undefined}
                onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)}
              />
            )}
          </Field>
          <fieldset class="fieldset" data-field="actions">
            <legend>Actions</legend>
            <p class="hint">Read-only actions are what Read-only tokens may do.</p>
            <ul class="action-list">
              {actions.map((a, i) => (
                <li key={i}>
                  <label class="visually-hidden" for={`action-${i}`}>
                    Action {i + 1} name
                  </label>
                  <input
                    id={`action-${i}`}
                    name="action-name"
                    value={a.name}
                    placeholder="e.g. publish"
                    aria-invalid={errors.fields.actions ? "true" : undefined}
                    onInput={(e) => setAction(i, { ...a, name: (e.target as HTMLInputElement).value })}
                  />
                  <label class="checkbox">
                    <input type="checkbox" checked={a.readOnly} onChange={(e) => setAction(i, { ...a, readOnly: (e.target as HTMLInputElement).checked })} />{" "}
                    Read-only
                  </label>
                  <button
                    type="button"
                    class="button small"
                    aria-label={`Remove action ${a.name || i + 1}`}
                    onClick={() => setActions(actions.filter((_, j) => j !== i))}
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ul>
            <button type="button" class="button small add-action" onClick={() => setActions([...actions, { name: "", readOnly: false }])}>
              + Add action
            </button>
            {errors.fields.actions && (
              <p class="error" role="alert">
                {errors.fields.actions}
              </p>
            )}
          </fieldset>
          {editing && (
            <label class="checkbox">
              <input type="checkbox" checked={detach} onChange={(e) => setDetach((e.target as HTMLInputElement).checked)} /> If I remove
              actions that roles or tokens hold, revoke those grants
            </label>
          )}
        </div>
        <div class="dialog-actions">
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
