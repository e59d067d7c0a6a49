// Content types: the resources permissions are about, and their actions.
import { useState } from "preact/hooks";
import { Action, ContentType, Q, gql } from "./api";
import { Checkbox, ErrorBanner, FormDialog, GroupError, FormField, useForm, useSession } from "./ui";
import { CreateButton, DataTable, DeleteDialog, Page, RowButton, useModal, useNodes } from "./page";
import { DeleteIcon, EditIcon } from "./icons";
import { checkDescription, checkName, checkSlug, problems } from "./validate";

type Modal = { kind: "edit"; contentType?: ContentType } | { kind: "delete"; contentType: ContentType } | null;

const defaultActions: Action[] = [
  { name: "read", readOnly: true },
  { name: "create", readOnly: false },
  { name: "update", readOnly: false },
  { name: "delete", readOnly: false },
];

export function ContentTypesPage() {
  const session = useSession();
  const [error, setError] = useState("");
  const [items, refresh] = useNodes<ContentType>(Q.contentTypes, "contentTypes", setError);
  const { modal, setModal, close, done } = useModal<Modal>(refresh);
  const [detach, setDetach] = useState(false);

  return (
    <Page
      id="ct-title"
      title="Content types"
      actions={session.can("content-type", "create") && <CreateButton label="Register content type" onClick={() => setModal({ kind: "edit" })} />}
      intro={
        <>
          Content types are what permissions are about. The system ones describe Latchkey's own API; register your services'
          resources (say <code>article</code> with a <code>publish</code> action) and let gateways ask Latchkey about them.
        </>
      }
    >
      <ErrorBanner text={error} />
      {items && (
        <DataTable head={["Name", "UID", "Actions", "Description"]} actions="Row actions">
          {items.map((ct) => (
            <tr key={ct.id} data-content-type={ct.uid}>
              <td data-label="Name" class="card-title">
                <strong class="wrap-anywhere">{ct.displayName}</strong> {ct.system && <span class="badge">System</span>}
              </td>
              <td data-label="UID">
                <code class="wrap-anywhere">{ct.uid}</code>
              </td>
              <td data-label="Actions">
                {ct.actions.map((a) => (
                  <span key={a.name} class={"chip" + (a.readOnly ? " chip-ro" : "")} title={a.readOnly ? "Read-only action" : undefined}>
                    {a.name}
                  </span>
                ))}
              </td>
              <td data-label="Description">{ct.description}</td>
              <td class="row-actions">
                {session.can("content-type", "update") && !ct.system && (
                  <RowButton verb="Edit" name={ct.displayName} icon={<EditIcon />} onClick={() => setModal({ kind: "edit", contentType: ct })} />
                )}
                {session.can("content-type", "delete") && !ct.system && (
                  <RowButton
                    verb="Delete"
                    name={ct.displayName}
                    icon={<DeleteIcon />}
                    danger
                    onClick={() => {
                      setDetach(false);
                      setModal({ kind: "delete", contentType: ct });
                    }}
                  />
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {modal?.kind === "edit" && (
        <ContentTypeDialog contentType={modal.contentType} onClose={close} onSaved={(name) => done(`Content type “${name}” saved.`)} />
      )}
      {modal?.kind === "delete" && (
        <DeleteDialog
          what="content type"
          onClose={close}
          sentences={{
            CONFLICT: "Roles or tokens hold permissions on this content type. Tick “Also revoke the permissions on it that roles and tokens hold” to delete it anyway.",
          }}
          onConfirm={async () => {
            await gql(Q.deleteContentType, { id: modal.contentType.id, detach });
            done(`Content type “${modal.contentType.displayName}” deleted.`);
          }}
        >
          <p>
            Delete the content type <strong>“{modal.contentType.displayName}”</strong> (<code>{modal.contentType.uid}</code>)?
          </p>
          <Checkbox checked={detach} onChange={setDetach}>
            Also revoke the permissions on it that roles and tokens hold
          </Checkbox>
        </DeleteDialog>
      )}
    </Page>
  );
}

function ContentTypeDialog(props: { contentType?: ContentType; onClose: () => void; onSaved: (name: string) => void }) {
  const editing = props.contentType;
  const [uid, setUID] = useState(editing?.uid ?? "");
  const [displayName, setDisplayName] = useState(editing?.displayName ?? "");
  const [description, setDescription] = useState(editing?.description ?? "");
  const [actions, setActions] = useState<Action[]>(editing?.actions ?? defaultActions);
  const [detach, setDetach] = useState(false);
  const check = (f: string): string => {
    switch (f) {
      case "displayName":
        return checkName("Display name", displayName);
      case "uid":
        return editing ? "" : !uid.trim() ? "Enter a UID, such as article." : checkSlug("UID", uid.trim(), 64);
      case "description":
        return checkDescription(description);
      case "actions": {
        const names = actions.map((a) => a.name.trim()).filter(Boolean);
        if (names.length === 0) return "A content type needs at least one action.";
        for (const n of names) {
          const p = checkSlug("action name", n, 64);
          if (p) return `Action “${n}”: ${p}`;
        }
        const twice = names.find((n, i) => names.indexOf(n) !== i);
        return twice ? `The action “${twice}” is listed twice.` : "";
      }
    }
    return "";
  };
  const form = useForm({
    labels: { uid: "UID", displayName: "Display name", description: "Description", actions: "Actions" },
    check,
    validate: () => problems(Object.fromEntries(["displayName", "uid", "description", "actions"].map((f) => [f, check(f)]))),
    sentences: {
      "CONFLICT:uid": `A content type with the UID “${uid.trim()}” already exists. Choose another.`,
      CONFLICT:
        "Roles or tokens hold actions you removed. Tick “If I remove actions that roles or tokens hold, revoke those grants” to save anyway, or keep those actions.",
      "FORBIDDEN:actions":
        "Your token may not make this change to the read-only actions: it would change what read-only tokens may do beyond what your token holds.",
    },
    save: async () => {
      const acts = actions.filter((a) => a.name.trim()).map((a) => ({ name: a.name.trim(), readOnly: a.readOnly }));
      if (editing) await gql(Q.updateContentType, { id: editing.id, input: { displayName, description, actions: acts }, detach });
      else await gql(Q.createContentType, { input: { uid: uid.trim(), displayName, description, actions: acts } });
      props.onSaved(displayName);
    },
  });
  const { errors } = form;

  const changeActions = (next: Action[]) => {
    errors.edited("actions");
    setActions(next);
  };
  const setAction = (i: number, a: Action) => changeActions(actions.map((x, j) => (j === i ? a : x)));
  return (
    <FormDialog title={editing ? `Edit content type “${editing.displayName}”` : "Register content type"} onClose={props.onClose} form={form}>
      <FormField label="Display name" name="displayName" errors={errors} required value={displayName} onValue={setDisplayName} />
      <FormField
        label="UID"
        name="uid"
        errors={errors}
        hint={editing ? "The UID cannot change." : "A slug such as article or billing-invoice."}
        readOnly={!!editing}
        required={!editing}
        spellcheck={false}
        value={uid}
        onValue={setUID}
      />
      <FormField label="Description" name="description" errors={errors} rows={2} value={description} onValue={setDescription} />
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
              <Checkbox checked={a.readOnly} onChange={(readOnly) => setAction(i, { ...a, readOnly })}>
                Read-only
              </Checkbox>
              <button
                type="button"
                class="button small"
                aria-label={`Remove action ${a.name || i + 1}`}
                onClick={() => changeActions(actions.filter((_, j) => j !== i))}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
        <button type="button" class="button small add-action" onClick={() => changeActions([...actions, { name: "", readOnly: false }])}>
          + Add action
        </button>
        <GroupError text={errors.fields.actions} />
      </fieldset>
      {editing && (
        <Checkbox
          checked={detach}
          onChange={(v) => {
            errors.edited("detach");
            setDetach(v);
          }}
        >
          If I remove actions that roles or tokens hold, revoke those grants
        </Checkbox>
      )}
    </FormDialog>
  );
}
