// Building blocks shared by the pages: modal dialogs, forms and their fields
// that show the server's error for them, avatars, the permission matrix.
import { ComponentChildren, createContext } from "preact";
import { useContext, useEffect, useId, useMemo, useRef, useState } from "preact/hooks";
import { ContentType, Permission, Viewer } from "./api";
import { Explainer, Sentence, explain } from "./errors";
import { navigate } from "./nav";

// ---- Permissions ----

export const cell = (contentType: string, action: string) => contentType + "\u0000" + action;

export function permissionSet(ps: Permission[] | null | undefined): Set<string> {
  return new Set((ps ?? []).map((p) => cell(p.contentType, p.action)));
}

export function toPermissions(set: Set<string>): Permission[] {
  return [...set].sort().map((k) => {
    const [contentType, action] = k.split("\u0000");
    return { contentType, action };
  });
}

export interface Session {
  viewer: Viewer;
  can: (contentType: string, action: string) => boolean;
  granted: Set<string>;
  signOut: () => void;
  /** A toast; with an action (such as Undo), a button in it. */
  notify: (text: string, action?: ToastAction) => void;
}

export interface ToastAction {
  label: string;
  run: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("no session");
  return s;
}

// ---- Labels ----

export const typeLabels: Record<string, string> = {
  READ_ONLY: "Read-only",
  FULL_ACCESS: "Full access",
  CUSTOM: "Custom",
};

export const statusLabels: Record<string, string> = { ACTIVE: "Active", EXPIRED: "Expired", REVOKED: "Revoked" };

// ---- Debounce ----

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** For a form of filters: set("name") is the input handler of the control for filters.name. */
export function filterSetter<F>(filters: F, setFilters: (next: F) => void) {
  return (k: keyof F) => (e: Event) => setFilters({ ...filters, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });
}

// ---- Errors tied to form fields ----

/**
 * The errors a form shows: a sentence per field (keyed by the server's field
 * name, which each control's Field names), or one for the whole form. A
 * form's errors know how to forget a field's error once it is edited.
 */
export class FormErrors {
  constructor(
    public fields: Record<string, string> = {},
    public general = "",
    private onEdit?: (field: string) => void,
  ) {}

  /** The server's error, explained for a form with these fields (see errors.ts). */
  static from(e: unknown, x: Explainer): FormErrors {
    const { field, text } = explain(e, x);
    return field ? new FormErrors({ [field]: text }) : new FormErrors({}, text);
  }

  /** Whether there is anything to show. */
  get any(): boolean {
    return !!this.general || Object.keys(this.fields).length > 0;
  }

  /** The field's control was edited: its error no longer applies. */
  edited(field: string) {
    if (this.onEdit && related(this.fields, field).length > 0) this.onEdit(field);
  }

  /** These errors without the field's (and those of the fields inside or around it). */
  without(field: string): FormErrors {
    const drop = new Set(related(this.fields, field));
    return new FormErrors(Object.fromEntries(Object.entries(this.fields).filter(([k]) => !drop.has(k))), this.general, this.onEdit);
  }
}

/** The keys of fields that are field itself, inside it (persona.name in persona) or around it. */
function related(fields: Record<string, string>, field: string): string[] {
  return Object.keys(fields).filter((k) => k === field || k.startsWith(field + ".") || field.startsWith(k + "."));
}

/** Focuses the first control whose field has an error. */
export function focusFirstError(root: HTMLElement | null) {
  const first = root?.querySelector<HTMLElement>("[aria-invalid='true'], .fieldset .error");
  if (!first) return;
  // An error about a group of controls: its first control that can take the focus.
  const el = first.matches(".error") ? first.closest(".fieldset")?.querySelector<HTMLElement>(focusable) : first;
  el?.focus();
}

export function Field(props: {
  label: string;
  name: string;
  errors: FormErrors;
  hint?: ComponentChildren;
  children: (id: string, describedBy: string | undefined, invalid: boolean) => ComponentChildren;
}) {
  const id = useId();
  const err = props.errors.fields[props.name];
  const hintId = props.hint ? id + "-hint" : undefined;
  const errId = err ? id + "-err" : undefined;
  const describedBy = [hintId, errId].filter(Boolean).join(" ") || undefined;
  return (
    <div class={"field" + (err ? " field-invalid" : "")} data-field={props.name}>
      <label for={id}>{props.label}</label>
      {props.children(id, describedBy, !!err)}
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {err && (
        <p class="error" id={errId} role="alert">
          {err}
        </p>
      )}
    </div>
  );
}

/**
 * A control in a Field, its value kept by the caller: a text box, or a text
 * area given rows, or a drop-down given options.
 */
export function FormField(props: {
  label: string;
  /** The field the server's errors name. */
  name: string;
  errors: FormErrors;
  hint?: ComponentChildren;
  /** The control's own name, when not the field's. */
  control?: string;
  value: string;
  onValue: (value: string) => void;
  rows?: number;
  options?: ComponentChildren;
  type?: string;
  placeholder?: string;
  min?: string;
  max?: string;
  maxLength?: number;
  minLength?: number;
  required?: boolean;
  readOnly?: boolean;
  autocomplete?: string;
  spellcheck?: boolean;
  onBlur?: () => void;
  /** Puts the control in more markup. */
  wrap?: (control: ComponentChildren) => ComponentChildren;
}) {
  const { label, name, errors, hint, control, value, onValue, rows, options, wrap, ...attrs } = props;
  const onValueOf = (e: Event) => {
    errors.edited(name);
    onValue((e.target as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement).value);
  };
  return (
    <Field label={label} name={name} errors={errors} hint={hint}>
      {(id, describedBy, invalid) => {
        const common = {
          ...attrs,
          id,
          name: control ?? name,
          value,
          "aria-describedby": describedBy,
          "aria-invalid": invalid ? ("true" as const) : undefined,
        };
        const el =
          options !== undefined ? (
            <select {...common} onChange={onValueOf}>
              {options}
            </select>
          ) : rows ? (
            <textarea rows={rows} {...common} onInput={onValueOf} />
          ) : (
            <input {...common} onInput={onValueOf} />
          );
        return wrap ? wrap(el) : el;
      }}
    </Field>
  );
}

/** The value as an https URL, or undefined: only those are avatars (and the CSP allows no other remote image). */
export function httpsURL(value: string): string | undefined {
  const v = value.trim();
  try {
    const u = new URL(v);
    return u.protocol === "https:" && u.hostname ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The URL of a persona's avatar, with a preview beside it. The preview follows
 * the text once typing pauses (or the box loses focus), and only for https
 * URLs, so half-typed addresses make no requests.
 */
export function AvatarURLField(props: { name: string; control: string; errors: FormErrors; value: string; onValue: (value: string) => void; personaName: string }) {
  const [settled, setSettled] = useState(props.value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(props.value), 400);
    return () => clearTimeout(t);
  }, [props.value]);
  return (
    <FormField
      label="Avatar URL"
      name={props.name}
      control={props.control}
      errors={props.errors}
      hint="An https address of an image."
      type="url"
      placeholder="https://…"
      value={props.value}
      onValue={props.onValue}
      onBlur={() => setSettled(props.value)}
      wrap={(control) => (
        <div class="persona-pick">
          {control}
          <span class="avatar-preview" role="img" aria-label="Avatar preview">
            <Avatar name={props.personaName || "?"} url={httpsURL(settled)} size={40} />
          </span>
        </div>
      )}
    />
  );
}

/** A link within the admin, followed without reloading the page; a click with a modifier key (a new tab) is left to the browser. */
export function AppLink(props: { href: string; class?: string; children: ComponentChildren }) {
  return (
    <a
      class={props.class}
      href={props.href}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

/** The server's error about a group of controls (a fieldset), if any. */
export function GroupError(props: { text: string | undefined }) {
  if (!props.text) return null;
  return (
    <p class="error" role="alert">
      {props.text}
    </p>
  );
}

/** A checkbox with its label; the caller keeps the state. */
export function Checkbox(props: { checked: boolean; onChange: (checked: boolean) => void; children: ComponentChildren }) {
  return (
    <label class="checkbox">
      <input type="checkbox" checked={props.checked} onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)} />{" "}
      {props.children}
    </label>
  );
}

/** What a form of useForm needs: its fields, its own check, how to save and how to read the server's errors. */
export interface FormSpec extends Explainer {
  /** The browser's check of everything before sending: field → sentence, for the fields at fault. */
  validate?: () => Record<string, string>;
  save: () => Promise<void>;
}

/**
 * A form that saves. On submit the browser's check runs first; what it finds
 * is shown at the fields and nothing is sent. Otherwise the form is busy until
 * save settles; if it throws, the server's error is explained (errors.ts) at
 * the field it concerns or above the form, and the first control at fault
 * gets the focus. Editing a control clears its error.
 */
export function useForm(spec: FormSpec) {
  const latest = useRef(spec);
  latest.current = spec;
  const [state, setState] = useState<{ fields: Record<string, string>; general: string }>({ fields: {}, general: "" });
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const errors = useMemo(
    () => new FormErrors(state.fields, state.general, (field) => setState((s) => new FormErrors(s.fields, s.general).without(field))),
    [state],
  );
  const setErrors = (fe: FormErrors) => setState({ fields: fe.fields, general: fe.general });
  const showAndFocus = (fe: FormErrors) => {
    setErrors(fe);
    requestAnimationFrame(() => focusFirstError(formRef.current));
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const found = latest.current.validate?.() ?? {};
    if (Object.keys(found).length > 0) {
      showAndFocus(new FormErrors(found));
      return;
    }
    setErrors(new FormErrors());
    setBusy(true);
    try {
      await latest.current.save();
    } catch (err) {
      showAndFocus(FormErrors.from(err, latest.current));
      setBusy(false);
    }
  };
  return { errors, setErrors, busy, setBusy, formRef, submit };
}

/** A dialog around a form of useForm: its general error first, Cancel and Save last. */
export function FormDialog(props: {
  title: string;
  onClose: () => void;
  form: ReturnType<typeof useForm>;
  wide?: boolean;
  bodyClass?: string;
  children: ComponentChildren;
}) {
  const { form } = props;
  return (
    <Dialog title={props.title} onClose={props.onClose} wide={props.wide}>
      <form ref={form.formRef} onSubmit={form.submit} noValidate>
        <div class={"dialog-body" + (props.bodyClass ? " " + props.bodyClass : "")}>
          <ErrorBanner text={form.errors.general} />
          {props.children}
        </div>
        <DialogActions onCancel={props.onClose} busy={form.busy} submitLabel="Save" />
      </form>
    </Dialog>
  );
}

/** Cancel, then the submit button, at the foot of a dialog's form. */
export function DialogActions(props: {
  onCancel: () => void;
  cancelLabel?: string;
  busy: boolean;
  submitLabel: string;
  danger?: boolean;
  disabled?: boolean;
}) {
  return (
    <div class="dialog-actions">
      <button type="button" class="button" data-cancel onClick={props.onCancel}>
        {props.cancelLabel ?? "Cancel"}
      </button>
      <button type="submit" class={props.danger ? "button danger" : "button primary"} disabled={props.busy || props.disabled}>
        {props.submitLabel}
      </button>
    </div>
  );
}

/** An error in a banner; with onRetry, a Retry button after it. */
export function ErrorBanner(props: { text: string; onRetry?: () => void }) {
  if (!props.text) return null;
  return (
    <div class="banner banner-error" role="alert">
      {props.text}
      {props.onRetry && (
        <button type="button" class="button small banner-retry" onClick={props.onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

// ---- Dialog ----

const focusable =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog: focus moves in on open, Tab stays inside, Escape closes,
 * and focus returns to where it was on close. A dialog that is not
 * `dismissible` (a secret not yet stored) ignores Escape, has no ×, and
 * reopens if the browser closes it anyway; only its own buttons close it.
 * Backdrop clicks never close a dialog.
 */
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
  class?: string;
  initialFocus?: string;
  dismissible?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  const dismissible = useRef(true);
  dismissible.current = props.dismissible !== false;
  useEffect(() => {
    const d = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    if (!d.open) d.showModal();
    const first =
      (props.initialFocus && d.querySelector<HTMLElement>(props.initialFocus)) ||
      d.querySelector<HTMLElement>("[autofocus]") ||
      d.querySelector<HTMLElement>(".dialog-body " + focusable.split(",").join(", .dialog-body ")) ||
      d.querySelector<HTMLElement>(focusable);
    first?.focus();
    let mounted = true;
    const cancel = (e: Event) => {
      e.preventDefault();
      if (dismissible.current) onClose.current();
    };
    // Chromium closes a dialog on a second Escape even when cancel is
    // prevented; a key held off before it reaches the dialog sends no
    // close request at all, and a dialog closed all the same comes back.
    const escape = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      // An open list (the persona picker's) closes first, by its own handler.
      if ((e.target as Element | null)?.closest?.('[role=combobox][aria-expanded="true"]')) return;
      e.stopPropagation();
      if (dismissible.current) onClose.current();
    };
    const reopen = () => {
      if (mounted && !d.open) d.showModal();
    };
    d.addEventListener("cancel", cancel);
    d.addEventListener("close", reopen);
    window.addEventListener("keydown", escape, true);
    return () => {
      mounted = false;
      d.removeEventListener("cancel", cancel);
      d.removeEventListener("close", reopen);
      window.removeEventListener("keydown", escape, true);
      if (d.open) d.close();
      if (opener && document.contains(opener)) opener.focus();
    };
  }, []);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== "Tab") return;
    const items = [...ref.current!.querySelectorAll<HTMLElement>(focusable)].filter((el) => el.offsetParent !== null);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  return (
    <dialog
      ref={ref}
      class={"dialog" + (props.wide ? " dialog-wide" : "") + (props.class ? " " + props.class : "")}
      aria-labelledby={titleId}
      aria-modal="true"
      onKeyDown={onKeyDown}
    >
      <div class="dialog-head">
        <h2 id={titleId}>{props.title}</h2>
        {props.dismissible !== false && (
          <button type="button" class="icon-button" aria-label="Close" onClick={() => onClose.current()}>
            ×
          </button>
        )}
      </div>
      {props.children}
    </dialog>
  );
}

/**
 * A secret shown once (a token's, a webhook's signing secret), with a Copy
 * button. It cannot be dismissed (Escape, ×, Close) until it has been
 * copied or the viewer ticks that it is stored. `what` names it in the
 * sentences ("token", "secret"); `id` is its text box's.
 */
export function ShowOnceDialog(props: {
  title: string;
  what: string;
  id: string;
  label: string;
  secret: string;
  intro: ComponentChildren;
  warning: ComponentChildren;
  onClose: () => void;
}) {
  const [copied, setCopied] = useState<"" | "ok" | "failed">("");
  const [stored, setStored] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const safe = copied === "ok" || stored;
  const copy = async () => {
    try {
      if (!navigator.clipboard?.writeText) throw new Error("no clipboard API");
      await navigator.clipboard.writeText(props.secret);
      setCopied("ok");
    } catch {
      // Fallback for browsers or contexts without the async clipboard API.
      const el = inputRef.current!;
      el.focus();
      el.select();
      let ok = false;
      try {
        ok = document.execCommand("copy");
      } catch {
        ok = false;
      }
      setCopied(ok ? "ok" : "failed");
    }
  };
  return (
    <Dialog title={props.title} onClose={props.onClose} class="secret-dialog" initialFocus=".copy-button" dismissible={safe}>
      <div class="dialog-body">
        <p>{props.intro}</p>
        <div class="secret-row">
          <label for={props.id} class="visually-hidden">
            {props.label}
          </label>
          <input
            id={props.id}
            ref={inputRef}
            class="secret-value"
            readOnly
            value={props.secret}
            spellcheck={false}
            onFocus={(e) => (e.target as HTMLInputElement).select()}
          />
          <button type="button" class="button primary copy-button" onClick={copy}>
            Copy
          </button>
        </div>
        <p class="copy-status" role="status" aria-live="polite">
          {copied === "ok" ? "Copied to the clipboard." : copied === "failed" ? `Copying failed: select the ${props.what} and copy it by hand.` : ""}
        </p>
        <div class="banner banner-warning" role="note">
          {props.warning}
        </div>
        <label class="checkbox stored-check">
          <input type="checkbox" name="stored" checked={stored} onChange={(e) => setStored((e.target as HTMLInputElement).checked)} /> I have
          stored it somewhere safe
        </label>
      </div>
      <div class="dialog-actions">
        {!safe && <p class="hint dialog-actions-note">Copy the {props.what} or tick the box to close.</p>}
        <button type="button" class="button" data-close-secret disabled={!safe} onClick={props.onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

/**
 * A question before something that cannot be taken back, or not easily. It
 * opens with the focus on Cancel, so Enter does not confirm. With
 * `acknowledge`, a box to tick before the confirm button works: asking again
 * when the act is on the viewer's own token.
 */
export function ConfirmDialog(props: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  acknowledge?: string;
  /** The cancel button's label, when not "Cancel". */
  cancelLabel?: string;
  /** What this dialog's errors mean, by "CODE" (see errors.ts). */
  sentences?: Record<string, Sentence>;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [acknowledged, setAcknowledged] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (props.acknowledge && !acknowledged) return;
    setBusy(true);
    setError("");
    try {
      await props.onConfirm();
    } catch (err) {
      setError(explain(err, { labels: {}, sentences: props.sentences }).text);
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.title} onClose={props.onClose} initialFocus="[data-cancel]" class="confirm-dialog">
      <form onSubmit={submit}>
        <div class="dialog-body">
          {props.children}
          {props.acknowledge && (
            <label class="checkbox acknowledge">
              <input type="checkbox" name="acknowledge" checked={acknowledged} onChange={(e) => setAcknowledged((e.target as HTMLInputElement).checked)} />{" "}
              {props.acknowledge}
            </label>
          )}
          <ErrorBanner text={error} />
        </div>
        <DialogActions
          onCancel={props.onClose}
          cancelLabel={props.cancelLabel}
          busy={busy}
          submitLabel={props.confirmLabel}
          danger={props.danger}
          disabled={!!props.acknowledge && !acknowledged}
        />
      </form>
    </Dialog>
  );
}

// ---- Avatar ----

export function Avatar(props: { name: string; url?: string; size?: number }) {
  const initials =
    props.name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => w[0]!.toUpperCase())
      .join("") || "?";
  // Keyed by the URL, so that each URL gets a fresh AvatarImage: its own
  // failed state, element and error handler. An error for the current URL then
  // always shows the initials, however soon it comes (a reset done in an effect
  // would run after the next frame, and could undo an error that came first),
  // and an error for an earlier URL cannot touch the new one.
  return <AvatarImage key={props.url ?? ""} url={props.url} initials={initials} size={props.size ?? 28} />;
}

function AvatarImage(props: { url?: string; initials: string; size: number }) {
  const [failed, setFailed] = useState(false);
  const size = props.size;
  if (props.url && !failed) {
    return (
      <img
        class="avatar"
        src={props.url}
        alt=""
        width={size}
        height={size}
        referrerpolicy="no-referrer"
        onError={() => setFailed(true)}
      />
    );
  }
  return (
    <span class="avatar avatar-initials" aria-hidden="true" style={{ width: size + "px", height: size + "px" }}>
      {props.initials}
    </span>
  );
}

// ---- Permission matrix ----

/**
 * Content types down, actions across. Cells in `locked` (a role grants them)
 * are shown granted: ticked, with the role's name, and a click changes
 * nothing. Cells the viewer does not hold are disabled, since nobody can
 * grant more than they have.
 */
export function Matrix(props: {
  contentTypes: ContentType[];
  value: Set<string>;
  onChange: (next: Set<string>) => void;
  locked?: Map<string, string>;
  ceiling?: Set<string>;
  label: string;
}) {
  const actions: string[] = [];
  for (const ct of props.contentTypes) for (const a of ct.actions) if (!actions.includes(a.name)) actions.push(a.name);
  const toggle = (k: string, on: boolean) => {
    const next = new Set(props.value);
    if (on) next.add(k);
    else next.delete(k);
    props.onChange(next);
  };
  const toggleRow = (ct: ContentType, on: boolean) => {
    const next = new Set(props.value);
    for (const a of ct.actions) {
      const k = cell(ct.uid, a.name);
      if (props.locked?.has(k) || (props.ceiling && !props.ceiling.has(k))) continue;
      if (on) next.add(k);
      else next.delete(k);
    }
    props.onChange(next);
  };
  return (
    <div class="matrix-wrap">
      <table class="matrix" aria-label={props.label}>
        <thead>
          <tr>
            <th scope="col">Content type</th>
            {actions.map((a) => (
              <th scope="col" key={a}>
                {a}
              </th>
            ))}
            <th scope="col">
              <span class="visually-hidden">Whole row</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.contentTypes.map((ct) => {
            const own = ct.actions.map((a) => cell(ct.uid, a.name));
            const allOn = own.every((k) => props.value.has(k) || props.locked?.has(k));
            return (
              <tr key={ct.uid} data-content-type={ct.uid}>
                <th scope="row">
                  <span class="ct-name">{ct.displayName}</span>
                  <code class="ct-uid">{ct.uid}</code>
                </th>
                {actions.map((a) => {
                  const action = ct.actions.find((x) => x.name === a);
                  if (!action) return <td key={a} class="matrix-empty" />;
                  const k = cell(ct.uid, a);
                  const lockedBy = props.locked?.get(k);
                  const outOfReach = !!props.ceiling && !props.ceiling.has(k) && !props.value.has(k);
                  if (lockedBy) {
                    // Granted by a role: shown as granted, not as unavailable.
                    // It stays ticked (a click changes nothing) and names the role.
                    return (
                      <td key={a} class="matrix-granted">
                        <label class="granted-cell" title={`Granted by the role ${lockedBy}`}>
                          <input
                            type="checkbox"
                            data-cell={ct.uid + ":" + a}
                            data-granted-by={lockedBy}
                            aria-label={`${ct.displayName}: ${a}, granted by the role ${lockedBy}`}
                            aria-readonly="true"
                            checked
                            onClick={(e) => e.preventDefault()}
                          />
                          <span class="granted-by" aria-hidden="true">
                            {lockedBy}
                          </span>
                        </label>
                      </td>
                    );
                  }
                  return (
                    <td key={a}>
                      <input
                        type="checkbox"
                        data-cell={ct.uid + ":" + a}
                        aria-label={`${ct.displayName}: ${a}`}
                        title={outOfReach ? "You do not hold this permission" : undefined}
                        checked={props.value.has(k)}
                        disabled={outOfReach}
                        onChange={(e) => toggle(k, (e.target as HTMLInputElement).checked)}
                      />
                    </td>
                  );
                })}
                <td>
                  <button
                    type="button"
                    class="link-button"
                    aria-label={(allOn ? "Clear all of " : "Select all of ") + ct.displayName}
                    onClick={() => toggleRow(ct, !allOn)}
                  >
                    {allOn ? "Clear" : "All"}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Where a paged list is and how to move: "page 2 of 8", First, Previous,
 * Next, Last, and the page size. Turning a page brings the list's heading
 * (`top`, an element id) back into view.
 */
export function Pager(props: {
  total: number;
  page: number;
  pages: number;
  size: number;
  onFirst: () => void;
  onPrev: () => void;
  onNext: () => void;
  onLast: () => void;
  onSize: (n: number) => void;
  noun: string;
  /** The noun's plural, when not noun + "s". */
  plural?: string;
  top: string;
}) {
  const sizeId = useId();
  const turn = (f: () => void) => () => {
    f();
    document.getElementById(props.top)?.scrollIntoView({ block: "start" });
  };
  const first = props.page <= 1;
  const last = props.page >= props.pages;
  return (
    <nav class="pager" aria-label="Pagination">
      <span class="pager-count" aria-live="polite" data-testid="pager-count">
        {props.total} {props.total === 1 ? props.noun : (props.plural ?? props.noun + "s")} · page {props.page} of {props.pages}
      </span>
      <span class="pager-size">
        <label for={sizeId}>Per page</label>
        <select id={sizeId} name="page-size" value={String(props.size)} onChange={(e) => props.onSize(Number((e.target as HTMLSelectElement).value))}>
          {[10, 20, 50, 100].map((n) => (
            <option key={n} value={String(n)}>
              {n}
            </option>
          ))}
        </select>
      </span>
      <span class="pager-buttons">
        <button type="button" class="button" data-page="first" disabled={first} onClick={turn(props.onFirst)}>
          « First
        </button>
        <button type="button" class="button" data-page="prev" disabled={first} onClick={turn(props.onPrev)}>
          ← Previous
        </button>
        <button type="button" class="button" data-page="next" disabled={last} onClick={turn(props.onNext)}>
          Next →
        </button>
        <button type="button" class="button" data-page="last" disabled={last} onClick={turn(props.onLast)}>
          Last »
        </button>
      </span>
    </nav>
  );
}
