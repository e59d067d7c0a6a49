// Personas: the identities tokens act as (a name and an avatar).
import { useState } from "preact/hooks";
import { Persona, Q, gql } from "./api";
import { Avatar, AvatarURLField, ErrorBanner, FormDialog, FormField, useForm, useSession } from "./ui";
import { CreateButton, DataTable, DeleteDialog, Page, RowButton, useModal, useNodes } from "./page";
import { DeleteIcon, EditIcon } from "./icons";

type Row = Persona & { tokens?: { totalCount: number } };
type Modal = { kind: "edit"; persona?: Row } | { kind: "delete"; persona: Row } | null;

export function PersonasPage() {
  const session = useSession();
  const [error, setError] = useState("");
  const [personas, refresh] = useNodes<Row>(Q.personas, "personas", setError);
  const { modal, setModal, close, done } = useModal<Modal>(refresh);

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
      <ErrorBanner text={error} />
      {personas && personas.length === 0 && (
        <div class="empty card">
          <h2>No personas yet</h2>
        </div>
      )}
      {personas && personas.length > 0 && (
        <DataTable head={["Persona", "Description", "Tokens"]} actions="Actions">
          {personas.map((p) => (
            <tr key={p.id} data-persona-name={p.name}>
              <td data-label="Persona" class="card-title">
                <span class="persona-cell">
                  <Avatar name={p.name} url={p.avatarURL} size={28} />
                  <strong class="wrap-anywhere">{p.name}</strong>
                </span>
              </td>
              <td data-label="Description">{p.description}</td>
              <td data-label="Tokens">{p.tokens?.totalCount ?? "—"}</td>
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
        </DataTable>
      )}
      {modal?.kind === "edit" && <PersonaDialog persona={modal.persona} onClose={close} onSaved={(name) => done(`Persona “${name}” saved.`)} />}
      {modal?.kind === "delete" && (
        <DeleteDialog
          what="persona"
          onClose={close}
          onConfirm={async () => {
            await gql(Q.deletePersona, { id: modal.persona.id });
            done(`Persona “${modal.persona.name}” deleted.`);
          }}
        >
          <p>
            Delete the persona <strong>“{modal.persona.name}”</strong>? A persona that tokens act as cannot be deleted.
          </p>
        </DeleteDialog>
      )}
    </Page>
  );
}

function PersonaDialog(props: { persona?: Persona; onClose: () => void; onSaved: (name: string) => void }) {
  const [name, setName] = useState(props.persona?.name ?? "");
  const [avatarURL, setAvatarURL] = useState(props.persona?.avatarURL ?? "");
  const [description, setDescription] = useState(props.persona?.description ?? "");
  const form = useForm(["name", "avatarURL", "description"], async () => {
    const input = { name, avatarURL: avatarURL.trim(), description };
    if (props.persona) await gql(Q.updatePersona, { id: props.persona.id, input });
    else await gql(Q.createPersona, { input });
    props.onSaved(name);
  });
  return (
    <FormDialog title={props.persona ? `Edit persona “${props.persona.name}”` : "Create persona"} onClose={props.onClose} form={form}>
      <FormField label="Name" name="name" errors={form.errors} maxLength={100} value={name} onValue={setName} />
      <AvatarURLField name="avatarURL" control="avatarURL" errors={form.errors} value={avatarURL} onValue={setAvatarURL} personaName={name} />
      <FormField label="Description" name="description" errors={form.errors} rows={2} value={description} onValue={setDescription} />
    </FormDialog>
  );
}
