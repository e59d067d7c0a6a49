// Roles: named bundles of permissions, edited as a checkbox matrix.
import { useEffect, useRef, useState } from "preact/hooks";
import { Connection, ContentType, Q, Role, gql, message, nodes } from "./api";
import {
  ConfirmDialog,
  Dialog,
  ErrorBanner,
  Field,
  FormErrors,
  Matrix,
  focusFirstError,
  grantCeiling,
  permissionSet,
  toPermissions,
  useSession,
} from "./ui";
import { DeleteIcon, EditIcon, PlusIcon } from "./icons";

type Modal = { kind: "edit"; role?: Role } | { kind: "delete"; role: Role } | null;

export function RolesPage() {
  const session = useSession();
  const [roles, setRoles] = useState<Role[] | null>(null);
  const [contentTypes, setContentTypes] = useState<ContentType[]>([]);
  const [error, setError] = useState("");
  const [modal, setModal] = useState<Modal>(null);
  const [reload, setReload] = useState(0);
  const [detach, setDetach] = useState(false);

  useEffect(() => {
    gql<{ roles: Connection<Role> }>(Q.roles)
      .then((d) => setRoles(nodes(d.roles)))
      .catch((e) => setError(message(e)));
  }, [reload]);
  useEffect(() => {
    if (!session.can("content-type", "read")) return;
    gql<{ contentTypes: Connection<ContentType> }>(Q.contentTypes)
      .then((d) => setContentTypes(nodes(d.contentTypes)))
      .catch((e) => setError(message(e)));
  }, []);

  const refresh = () => setReload((n) => n + 1);
  const canCreate = session.can("role", "create");
  const canUpdate = session.can("role", "update");
  const canDelete = session.can("role", "delete");
  const label = (ct: string) => contentTypes.find((c) => c.uid === ct)?.displayName ?? ct;

  return (
    <section class="page" aria-labelledby="roles-title">
      <div class="page-head">
        <h1 id="roles-title">Roles</h1>
        {canCreate && (
          <div class="page-actions">
            <button type="button" class="button primary" onClick={() => setModal({ kind: "edit" })}>
              <PlusIcon /> Create role
            </button>
          </div>
        )}
      </div>
      <p class="page-intro">A role is a reusable set of permissions. Custom tokens get the permissions of every role they have.</p>
      <ErrorBanner text={error} />
      {roles && roles.length === 0 && (
        <div class="empty card">
          <h2>No roles yet</h2>
          <p>Create a role to give the same permissions to many tokens at once.</p>
        </div>
      )}
      {roles && roles.length > 0 && (
        <div class="table-wrap">
          <table class="data-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Permissions</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {roles.map((r) => {
                const byType = new Map<string, string[]>();
                for (const p of r.permissions) byType.set(p.contentType, [...(byType.get(p.contentType) ?? []), p.action]);
                return (
                  <tr key={r.id} data-role-name={r.name}>
                    <td>
                      <strong>{r.name}</strong>
                    </td>
                    <td>{r.description}</td>
                    <td>
                      <ul class="perm-summary">
                        {[...byType].map(([ct, actions]) => (
                          <li key={ct}>
                            <span>{label(ct)}:</span> {actions.join(", ")}
                          </li>
                        ))}
                        {byType.size === 0 && <li class="muted">None</li>}
                      </ul>
                    </td>
                    <td class="row-actions">
                      {canUpdate && (
                        <button type="button" class="button small" aria-label={`Edit ${r.name}`} onClick={() => setModal({ kind: "edit", role: r })}>
                          <EditIcon /> Edit
                        </button>
                      )}
                      {canDelete && (
                        <button
                          type="button"
                          class="button small danger-outline"
                          aria-label={`Delete ${r.name}`}
                          onClick={() => {
                            setDetach(false);
                            setModal({ kind: "delete", role: r });
                          }}
                        >
                          <DeleteIcon /> Delete
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {modal?.kind === "edit" && (
        <RoleDialog
          role={modal.role}
          contentTypes={contentTypes}
          onClose={() => setModal(null)}
          onSaved={(name) => {
            setModal(null);
            session.notify(`Role “${name}” saved.`);
            refresh();
          }}
        />
      )}
      {modal?.kind === "delete" && (
        <ConfirmDialog
          title="Delete role"
          confirmLabel="Yes, delete role"
          danger
          onClose={() => setModal(null)}
          onConfirm={async () => {
            await gql(Q.deleteRole, { id: modal.role.id, detach });
            setModal(null);
            session.notify(`Role “${modal.role.name}” deleted.`);
            refresh();
          }}
        >
          <p>
            Delete the role <strong>“{modal.role.name}”</strong>? This cannot be undone.
          </p>
          <label class="checkbox">
            <input type="checkbox" checked={detach} onChange={(e) => setDetach((e.target as HTMLInputElement).checked)} /> Also take it
            off the tokens that have it (they lose its permissions)
          </label>
        </ConfirmDialog>
      )}
    </section>
  );
}

function RoleDialog(props: { role?: Role; contentTypes: ContentType[]; onClose: () => void; onSaved: (name: string) => void }) {
  const session = useSession();
  const [name, setName] = useState(props.role?.name ?? "");
  const [description, setDescription] = useState(props.role?.description ?? "");
  const [cells, setCells] = useState(permissionSet(props.role?.permissions));
  const [errors, setErrors] = useState(new FormErrors());
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const input = { name, description, permissions: toPermissions(cells) };
    try {
      if (props.role) await gql(Q.updateRole, { id: props.role.id, input });
      else await gql(Q.createRole, { input });
      props.onSaved(name);
    } catch (err) {
      setErrors(FormErrors.from(err, ["name", "description", "permissions"]));
      setBusy(false);
      requestAnimationFrame(() => focusFirstError(formRef.current));
    }
  };
  return (
    <Dialog title={props.role ? `Edit role “${props.role.name}”` : "Create role"} onClose={props.onClose} wide>
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
          <fieldset class="fieldset" data-field="permissions">
            <legend>Permissions</legend>
            <Matrix contentTypes={props.contentTypes} value={cells} onChange={setCells} ceiling={grantCeiling(session, props.contentTypes)} label="Permissions of this role" />
            {errors.fields.permissions && (
              <p class="error" role="alert">
                {errors.fields.permissions}
              </p>
            )}
          </fieldset>
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
