// Roles: named bundles of permissions, edited as a checkbox matrix.
import { useState } from "preact/hooks";
import { ContentType, Q, Role, gql } from "./api";
import { Checkbox, ErrorBanner, FormDialog, GroupError, Matrix, FormField, permissionSet, toPermissions, useForm, useSession } from "./ui";
import { grantCeiling } from "./ceiling";
import { checkDescription, checkName, problems } from "./validate";
import { CreateButton, DataTable, DeleteDialog, Page, RowButton, useModal, useNodes } from "./page";
import { DeleteIcon, EditIcon } from "./icons";

type Modal = { kind: "edit"; role?: Role } | { kind: "delete"; role: Role } | null;

export function RolesPage() {
  const session = useSession();
  const [error, setError] = useState("");
  const [roles, refresh] = useNodes<Role>(Q.roles, "roles", setError);
  const [loadedTypes] = useNodes<ContentType>(Q.contentTypes, "contentTypes", setError, session.can("content-type", "read"));
  const contentTypes = loadedTypes ?? [];
  const { modal, setModal, close, done } = useModal<Modal>(refresh);
  const [detach, setDetach] = useState(false);

  const canCreate = session.can("role", "create");
  const canUpdate = session.can("role", "update");
  const canDelete = session.can("role", "delete");
  const label = (ct: string) => contentTypes.find((c) => c.uid === ct)?.displayName ?? ct;

  return (
    <Page
      id="roles-title"
      title="Roles"
      actions={canCreate && <CreateButton label="Create role" onClick={() => setModal({ kind: "edit" })} />}
      intro="A role is a reusable set of permissions. Custom tokens get the permissions of every role they have."
    >
      <ErrorBanner text={error} />
      {roles && roles.length === 0 && (
        <div class="empty card">
          <h2>No roles yet</h2>
          <p>Create a role to give the same permissions to many tokens at once.</p>
        </div>
      )}
      {roles && roles.length > 0 && (
        <DataTable head={["Name", "Description", "Permissions"]} actions="Actions">
          {roles.map((r) => {
            const byType = new Map<string, string[]>();
            for (const p of r.permissions) byType.set(p.contentType, [...(byType.get(p.contentType) ?? []), p.action]);
            return (
              <tr key={r.id} data-role-name={r.name}>
                <td data-label="Name" class="card-title">
                  <strong class="wrap-anywhere">{r.name}</strong>
                </td>
                <td data-label="Description">{r.description}</td>
                <td data-label="Permissions">
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
                  {canUpdate && <RowButton verb="Edit" name={r.name} icon={<EditIcon />} onClick={() => setModal({ kind: "edit", role: r })} />}
                  {canDelete && (
                    <RowButton
                      verb="Delete"
                      name={r.name}
                      icon={<DeleteIcon />}
                      danger
                      onClick={() => {
                        setDetach(false);
                        setModal({ kind: "delete", role: r });
                      }}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
      {modal?.kind === "edit" && (
        <RoleDialog role={modal.role} contentTypes={contentTypes} onClose={close} onSaved={(name) => done(`Role “${name}” saved.`)} />
      )}
      {modal?.kind === "delete" && (
        <DeleteDialog
          what="role"
          onClose={close}
          sentences={{ CONFLICT: "Tokens still have this role. Tick “Also take it off the tokens that have it” to delete it anyway." }}
          onConfirm={async () => {
            await gql(Q.deleteRole, { id: modal.role.id, detach });
            done(`Role “${modal.role.name}” deleted.`);
          }}
        >
          <p>
            Delete the role <strong>“{modal.role.name}”</strong>? This cannot be undone.
          </p>
          <Checkbox checked={detach} onChange={setDetach}>
            Also take it off the tokens that have it (they lose its permissions)
          </Checkbox>
        </DeleteDialog>
      )}
    </Page>
  );
}

function RoleDialog(props: { role?: Role; contentTypes: ContentType[]; onClose: () => void; onSaved: (name: string) => void }) {
  const session = useSession();
  const [name, setName] = useState(props.role?.name ?? "");
  const [description, setDescription] = useState(props.role?.description ?? "");
  const [cells, setCells] = useState(permissionSet(props.role?.permissions));
  const form = useForm({
    labels: { name: "Name", description: "Description", permissions: "Permissions" },
    check: (f) => (f === "name" ? checkName("Name", name) : f === "description" ? checkDescription(description) : ""),
    validate: () => problems({ name: checkName("Name", name), description: checkDescription(description) }),
    sentences: {
      "CONFLICT:name": `Another role is already called “${name.trim()}”. Choose another name.`,
      "BAD_USER_INPUT:permissions": "A ticked permission is on a content type or action that no longer exists. Close the form and open it again.",
    },
    save: async () => {
      const input = { name, description, permissions: toPermissions(cells) };
      if (props.role) await gql(Q.updateRole, { id: props.role.id, input });
      else await gql(Q.createRole, { input });
      props.onSaved(name);
    },
  });
  return (
    <FormDialog title={props.role ? `Edit role “${props.role.name}”` : "Create role"} onClose={props.onClose} form={form} wide>
      <FormField label="Name" name="name" errors={form.errors} required value={name} onValue={setName} />
      <FormField label="Description" name="description" errors={form.errors} rows={2} value={description} onValue={setDescription} />
      <fieldset class="fieldset" data-field="permissions">
        <legend>Permissions</legend>
        <Matrix
          contentTypes={props.contentTypes}
          value={cells}
          onChange={(next) => {
            form.errors.edited("permissions");
            setCells(next);
          }}
          ceiling={grantCeiling(session, props.contentTypes)} label="Permissions of this role" />
        <GroupError text={form.errors.fields.permissions} />
      </fieldset>
    </FormDialog>
  );
}
