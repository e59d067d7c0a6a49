// Latchkey admin: sign-in, the shell (header, navigation) and client-side
// routing under /admin/.
import "./styles.css";
import { render } from "preact";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { Q, Viewer, clearToken, getToken, gql, setToken, setUnauthenticatedHandler } from "./api";
import { message } from "./errors";
import { Avatar, SessionContext, Session, ToastAction, permissionSet, cell } from "./ui";
import { KeyIcon } from "./icons";
import { TokensPage } from "./tokens";
import { RolesPage } from "./roles";
import { PersonasPage } from "./personas";
import { ContentTypesPage } from "./contenttypes";
import { AuditPage } from "./audit";
import { TokenDetailPage } from "./tokendetail";
import { PoliciesPage } from "./policies";
import { WebhookDetailPage, WebhooksPage } from "./webhooks";
import { BulkRevokePage } from "./bulkrevoke";
import { base, currentPath, navigate } from "./nav";

interface Route {
  path: string;
  label: string;
  contentType: string;
  /** The action on contentType the page needs; "read" unless given. */
  action?: string;
  page: () => preact.JSX.Element;
}

const routes: Route[] = [
  { path: "tokens", label: "API tokens", contentType: "api-token", page: () => <TokensPage /> },
  { path: "roles", label: "Roles", contentType: "role", page: () => <RolesPage /> },
  { path: "personas", label: "Personas", contentType: "persona", page: () => <PersonasPage /> },
  { path: "content-types", label: "Content types", contentType: "content-type", page: () => <ContentTypesPage /> },
  { path: "audit", label: "Audit log", contentType: "audit-event", page: () => <AuditPage /> },
  { path: "webhooks", label: "Webhooks", contentType: "webhook", page: () => <WebhooksPage /> },
  // policyViolations needs api-token:read; the policy itself only a session.
  { path: "policies", label: "Policies", contentType: "api-token", page: () => <PoliciesPage /> },
  { path: "bulk-revoke", label: "Bulk revoke", contentType: "api-token", action: "revoke", page: () => <BulkRevokePage /> },
];

/** The pages below a list, by the list's path: tokens/<id>, webhooks/<id>. */
const details: Record<string, (id: string) => preact.JSX.Element> = {
  tokens: (id) => <TokenDetailPage key={id} id={id} />,
  webhooks: (id) => <WebhookDetailPage key={id} id={id} />,
};

function SignIn(props: { onSignedIn: (v: Viewer) => void; notice: string }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState(props.notice);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const token = value.trim();
    if (!token) {
      setError("Paste an API token to sign in.");
      return;
    }
    setBusy(true);
    setError("");
    try {
      const data = await gql<{ viewer: Viewer }>(Q.viewer, undefined, token);
      setToken(token);
      props.onSignedIn(data.viewer);
    } catch (err) {
      setError(
        (err as { code?: string }).code === "UNAUTHENTICATED"
          ? "That token is invalid, expired or revoked."
          : message(err),
      );
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">
          <span class="logo">
            <KeyIcon size={26} />
          </span>{" "}
          Latchkey admin
        </h1>
        <p>Sign in by pasting an API token. It is kept in this tab only and forgotten when you close it or sign out.</p>
        <div class="field">
          <label for="signin-token">API token</label>
          <input
            id="signin-token"
            name="token"
            type="password"
            autocomplete="one-time-code"
            spellcheck={false}
            autofocus
            value={value}
            aria-invalid={error ? "true" : undefined}
            aria-describedby={error ? "signin-error" : undefined}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          />
          {error && (
            <p class="error" id="signin-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <button type="submit" class="button primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function Shell(props: { session: Session }) {
  const [path, setPath] = useState(currentPath());
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    const on = () => setPath(currentPath());
    addEventListener("popstate", on);
    return () => removeEventListener("popstate", on);
  }, []);
  const visible = routes.filter((r) => props.session.can(r.contentType, r.action ?? "read"));
  // A page of its own below a list: tokens/<id>, webhooks/<id>.
  const [section, id] = path.split("/", 2);
  const detail = id !== undefined && details[section] && visible.some((r) => r.path === section) ? decodeURIComponent(id) : undefined;
  const route = detail
    ? visible.find((r) => r.path === section)
    : (visible.find((r) => r.path === path) ?? (path === "" ? visible[0] : undefined));
  useEffect(() => {
    if (!detail) document.title = (route ? route.label + " · " : "") + "Latchkey admin";
  }, [route, detail]);
  const v = props.session.viewer;
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a
          class="brand"
          href={base}
          onClick={(e) => {
            e.preventDefault();
            navigate("");
          }}
        >
          <span class="logo">
            <KeyIcon size={22} />
          </span>{" "}
          Latchkey
        </a>
        <button
          type="button"
          class="menu-button"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </button>
        <nav id="main-nav" class={"mainnav" + (menuOpen ? " open" : "")} aria-label="Main">
          {visible.map((r) => (
            <a
              key={r.path}
              href={base + r.path}
              aria-current={r === route ? "page" : undefined}
              onClick={(e) => {
                e.preventDefault();
                setMenuOpen(false);
                navigate(r.path);
              }}
            >
              {r.label}
            </a>
          ))}
          {/* rel=opener: a tab opened with an opener gets a copy of this tab's
              sessionStorage, so the playground uses this sign-in without the
              token passing through a URL or localStorage. Same origin only. */}
          <a href="/playground" target="_blank" rel="opener" data-testid="playground-link">
            Playground ↗
          </a>
        </nav>
        <div class="viewer" title={`Signed in with the token “${v.apiToken.name}”`}>
          <Avatar name={v.persona.name} url={v.persona.avatarURL} />
          <span class="viewer-name" data-testid="viewer-name">
            {v.persona.name}
          </span>
          <button type="button" class="button small" onClick={props.session.signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {detail ? (
          details[section](detail)
        ) : route ? (
          route.page()
        ) : visible.length === 0 ? (
          <div class="empty">
            <h1>Nothing to show</h1>
            <p>This token may not read anything that the admin shows.</p>
          </div>
        ) : (
          <div class="empty">
            <h1>Page not found</h1>
            <p>
              <a href={base} onClick={(e) => (e.preventDefault(), navigate(""))}>
                Go to the start page
              </a>
            </p>
          </div>
        )}
      </main>
    </div>
  );
}

interface Toast {
  id: number;
  text: string;
  action?: ToastAction;
}

function Toasts(props: { items: Toast[]; dismiss: (id: number) => void }) {
  return (
    <div class="toasts" role="status" aria-live="polite">
      {props.items.map((t) => (
        <div class="toast" key={t.id}>
          <span>{t.text}</span>
          {t.action && (
            <button
              type="button"
              class="toast-action"
              onClick={() => {
                props.dismiss(t.id);
                t.action!.run();
              }}
            >
              {t.action.label}
            </button>
          )}
        </div>
      ))}
    </div>
  );
}

let toastSeq = 0;

function App() {
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [loading, setLoading] = useState(!!getToken());
  const [notice, setNotice] = useState("");
  const [toasts, setToasts] = useState<Toast[]>([]);

  const signOut = useCallback(() => {
    clearToken();
    setViewer(null);
  }, []);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      clearToken();
      setViewer(null);
      setNotice("Your token is no longer valid (expired, revoked or deleted). Sign in again.");
    });
    if (getToken()) {
      gql<{ viewer: Viewer }>(Q.viewer)
        .then((d) => setViewer(d.viewer))
        .catch((e) => setNotice(message(e)))
        .finally(() => setLoading(false));
    }
  }, []);

  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const notify = useCallback((text: string, action?: ToastAction) => {
    const id = ++toastSeq;
    setToasts((t) => [...t.slice(-2), { id, text, action }]);
    // One with a button (Undo) stays long enough to reach it.
    setTimeout(() => dismiss(id), action ? 10000 : 4000);
  }, []);

  const session = useMemo<Session | null>(() => {
    if (!viewer) return null;
    const granted = permissionSet(viewer.permissions);
    return { viewer, granted, can: (ct, a) => granted.has(cell(ct, a)), signOut, notify };
  }, [viewer, signOut, notify]);

  if (loading) return <p class="loading">Loading…</p>;
  return (
    <>
      {session ? (
        <SessionContext.Provider value={session}>
          <Shell session={session} />
        </SessionContext.Provider>
      ) : (
        <SignIn
          notice={notice}
          onSignedIn={(v) => {
            setNotice("");
            setViewer(v);
          }}
        />
      )}
      <Toasts items={toasts} dismiss={dismiss} />
    </>
  );
}

render(<App />, document.getElementById("app")!);
