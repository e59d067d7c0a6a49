// Personas: the identities tokens act as (a name and an avatar).
import { useEffect, useRef, useState } from "preact/hooks";
import { Connection, Persona, Q, gql, message, nodes } from "./api";
import { Avatar, ConfirmDialog, Dialog, ErrorBanner, Field, FormErrors, focusFirstError, useSession } from "./ui";
import { DeleteIcon, EditIcon, PlusIcon } from "./icons";

type Row = Persona & { tokens?: { totalCount: number } };
type Modal = { kind: "edit"; persona?: Row } | { kind: "delete"; persona: Row } | null;

export function PersonasPage() {
  const session = useSession();
  const [personas, setPersonas] = useState<Row[] | null>(null);
  const [error, setError] = useState("");
  const [modal, setModal] = useState<Modal>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    gql<{ personas: Connection<Row> }>(Q.personas)
      .then((d) => setPersonas(nodes(d.personas)))
      .catch((e) => setError(message(e)));
  }, [reload]);
  const refresh = () => setReload((n) => n + 1);

  return (
    <section class="page" aria-labelledby="personas-title">
      <div class="page-head">
        <h1 id="personas-title">Personas</h1>
        {session.can("persona", "create") && (
          <div class="page-actions">
            <button type="button" class="button primary" onClick={() => setModal({ kind: "edit" })}>
              <PlusIcon /> Create persona
            </button>
          </div>
        )}
      </div>
      <p class="page-intro">
        A persona is who a token acts as: its name and avatar appear in the audit log and in what services see. Several tokens
        may share one, for example while a secret is rotated.
      </p>
      <ErrorBanner text={error} />
      {personas && personas.length === 0 && (
        <div class="empty card">
          <h2>No personas yet</h2>
        </div>
      )}
      {personas && personas.length > 0 && (
        <div class="table-wrap">
          <table class="data-table">
            <thead>
              <tr>
                <th scope="col">Persona</th>
                <th scope="col">Description</th>
                <th scope="col">Tokens</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {personas.map((p) => (
                <tr key={p.id} data-persona-name={p.name}>
                  <td>
                    <span class="persona-cell">
                      <Avatar name={p.name} url={p.avatarURL} size={28} />
                      <strong>{p.name}</strong>
                    </span>
                  </td>
                  <td>{p.description}</td>
                  <td>{p.tokens?.totalCount ?? "—"}</td>
                  <td class="row-actions">
                    {session.can("persona", "update") && (
                      <button type="button" class="button small" aria-label={`Edit ${p.name}`} onClick={() => setModal({ kind: "edit", persona: p })}>
                        <EditIcon /> Edit
                      </button>
                    )}
                    {session.can("persona", "delete") && (
                      <button
                        type="button"
                        class="button small danger-outline"
                        aria-label={`Delete ${p.name}`}
                        onClick={() => setModal({ kind: "delete", persona: p })}
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
        <PersonaDialog
          persona={modal.persona}
          onClose={() => setModal(null)}
          onSaved={(name) => {
            setModal(null);
            session.notify(`Persona “${name}” saved.`);
            refresh();
          }}
        />
      )}
      {modal?.kind === "delete" && (
        <ConfirmDialog
          title="Delete persona"
          confirmLabel="Yes, delete persona"
          danger
          onClose={() => setModal(null)}
          onConfirm={async () => {
            await gql(Q.deletePersona, { id: modal.persona.id });
            setModal(null);
            session.notify(`Persona “${modal.persona.name}” deleted.`);
            refresh();
          }}
        >
          <p>
            Delete the persona <strong>“{modal.persona.name}”</strong>? A persona that tokens act as cannot be deleted.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function PersonaDialog(props: { persona?: Persona; onClose: () => void; onSaved: (name: string) => void }) {
  const [name, setName] = useState(props.persona?.name ?? "");
  const [avatarURL, setAvatarURL] = useState(props.persona?.avatarURL ?? "");
  const [description, setDescription] = useState(props.persona?.description ?? "");
  const [errors, setErrors] = useState(new FormErrors());
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const input = { name, avatarURL: avatarURL.trim(), description };
    try {
      if (props.persona) await gql(Q.updatePersona, { id: props.persona.id, input });
      else await gql(Q.createPersona, { input });
      props.onSaved(name);
    } catch (err) {
      setErrors(FormErrors.from(err, ["name", "avatarURL", "description"]));
      setBusy(false);
      requestAnimationFrame(() => focusFirstError(formRef.current));
    }
  };
  return (
    <Dialog title={props.persona ? `Edit persona “${props.persona.name}”` : "Create persona"} onClose={props.onClose}>
      <form ref={formRef} onSubmit={submit} noValidate>
        <div class="dialog-body">
          <ErrorBanner text={errors.general} />
          <Field label="Name" name="name" errors={errors}>
            {(id, d, inv) => (
              <input
                id={id}
                name="name"
                value={name}
                maxLength={100}
                aria-describedby={d}
                aria-invalid={inv ? "true" : undefined}
                onInput={(e) => setName((e.target as HTMLInputElement).value)}
              />
            )}
          </Field>
          <Field label="Avatar URL" name="avatarURL" errors={errors} hint="An http or https address of an image.">
            {(id, d, inv) => (
              <div class="persona-pick">
                <input
                  id={id}
                  name="avatarURL"
                  type="url"
                  placeholder="https://…"
                  value={avatarURL}
                  aria-describedby={d}
                  aria-invalid={inv ? "true" : undefined}
                  onInput={(e) => setAvatarURL((e.target as HTMLInputElement).value)}
                />
                <span class="avatar-preview" role="img" aria-label="Avatar preview">
                  <Avatar name={name || "?"} url={avatarURL.trim() || undefined} size={40} />
                </span>
              </div>
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
