// Latchkey's GraphQL playground: GraphiQL with everything bundled, talking
// to /graphql on the same origin. It opens with a tab per main task
// (examples.ts). Opened from the admin, it uses the admin's sign-in: the
// browser gives a tab opened from another the opener's sessionStorage, so
// the token arrives without a URL or localStorage, and stays out of the
// headers editor and GraphiQL's own storage (history records headers).
import "graphiql/graphiql.css";
import "./playground.css";
import { createRoot } from "react-dom/client";
import { useEffect, useState } from "react";
import { GraphiQL } from "graphiql";
import { Kind, OperationDefinitionNode, parse } from "graphql";
import { exampleTabs } from "./examples";
import { patchGraphiQL } from "./a11y";

const endpoint = "/graphql";

const defaultHeaders = `{"Authorization": "Bearer "}`;

/** Where the admin keeps its sign-in (internal/adminui/web/src/api.ts). */
const adminSessionKey = "latchkey.token";

function adminToken(): string | null {
  return sessionStorage.getItem(adminSessionKey);
}

type Params = { query: string; operationName?: string | null; variables?: unknown };
type Opts = { headers?: Record<string, unknown> };

/**
 * The request's headers: those of the headers editor, except that an
 * Authorization header with nothing after "Bearer" (the editor's starting
 * value) is dropped. Without one, the admin's sign-in is sent if this tab
 * has it; otherwise the request is anonymous, which still loads the schema.
 */
export function requestHeaders(given: Record<string, unknown> | undefined, session = adminToken()): Record<string, string> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  let authorized = false;
  for (const [k, v] of Object.entries(given ?? {})) {
    if (v === undefined || v === null) continue;
    const value = String(v);
    if (k.toLowerCase() === "authorization") {
      if (/^\s*bearer\s*$/i.test(value) || !value.trim()) continue;
      authorized = true;
    }
    headers[k] = value;
  }
  if (!authorized && session) headers.Authorization = "Bearer " + session;
  return headers;
}

/**
 * Where GraphiQL keeps its state (tabs, query history, theme, pane sizes):
 * this tab's sessionStorage, never localStorage. The history records the
 * headers of every run, so a pasted token is kept only as long as the tab,
 * the same rule as the admin's sign-in. Only GraphiQL's own keys are counted
 * and cleared, so "Clear storage" leaves the admin's session alone.
 */
const namespace = "graphiql:";
function ownKeys(): string[] {
  const keys: string[] = [];
  for (let i = 0; i < sessionStorage.length; i++) {
    const k = sessionStorage.key(i);
    if (k !== null && k.startsWith(namespace)) keys.push(k);
  }
  return keys;
}
const tabStorage = {
  getItem: (key: string) => sessionStorage.getItem(key),
  setItem: (key: string, value: string) => sessionStorage.setItem(key, value),
  removeItem: (key: string) => sessionStorage.removeItem(key),
  clear: () => ownKeys().forEach((k) => sessionStorage.removeItem(k)),
  get length() {
    return ownKeys().length;
  },
};

/**
 * The operation to run: GraphiQL can send the operation name of the tab it
 * showed before when a tab is run right after switching to it; a name the
 * document does not define is dropped (a document of one operation needs
 * none, and with several the server says which to choose).
 */
export function operationOf(params: Params): Params {
  if (!params.operationName) return params;
  try {
    const names = parse(params.query)
      .definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
      .map((d) => d.name?.value);
    if (names.includes(params.operationName)) return params;
  } catch {
    return params;
  }
  return { ...params, operationName: undefined };
}

async function fetcher(params: Params, opts?: Opts) {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: requestHeaders(opts?.headers),
    body: JSON.stringify(operationOf(params)),
    credentials: "omit",
  });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return { errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 500)}` }] };
  }
}

type Session = { state: "none" } | { state: "checking" } | { state: "ok"; persona: string; token: string } | { state: "invalid" };

/** Who the admin's sign-in in this tab is, if there is one. */
function useAdminSession(): [Session, () => void] {
  const [session, setSession] = useState<Session>(() => (adminToken() ? { state: "checking" } : { state: "none" }));
  useEffect(() => {
    const token = adminToken();
    if (!token) return;
    fetch(endpoint, {
      method: "POST",
      headers: requestHeaders(undefined, token),
      body: JSON.stringify({ query: "query PlaygroundViewer { viewer { persona { name } apiToken { name } } }" }),
      credentials: "omit",
    })
      .then((r) => r.json())
      .then((b) => {
        const name = b?.data?.viewer?.persona?.name;
        setSession(name ? { state: "ok", persona: name, token: b.data.viewer.apiToken.name } : { state: "invalid" });
      })
      .catch(() => setSession({ state: "invalid" }));
  }, []);
  const forget = () => {
    sessionStorage.removeItem(adminSessionKey);
    setSession({ state: "none" });
  };
  return [session, forget];
}

function SessionBar() {
  const [session, forget] = useAdminSession();
  return (
    <header className="lk-bar">
      <h1 className="lk-title">Latchkey GraphQL playground</h1>
      <span className="lk-session" role="status" data-testid="playground-session">
        {session.state === "ok" ? (
          <>
            Requests without an Authorization header use the admin’s sign-in: <strong>{session.persona}</strong> (token “{session.token}”).
          </>
        ) : session.state === "checking" ? (
          "Checking the admin’s sign-in…"
        ) : session.state === "invalid" ? (
          "The admin’s sign-in in this tab is no longer valid: paste a token after “Bearer” in the Headers tab."
        ) : (
          "Paste an API token after “Bearer” in the Headers tab, or open the playground from the admin to use its sign-in."
        )}
      </span>
      {session.state === "ok" && (
        <button type="button" className="lk-button" onClick={forget}>
          Stop using it
        </button>
      )}
      <a className="lk-link" href="/admin/">
        Admin
      </a>
    </header>
  );
}

function Playground() {
  return (
    <div className="lk-shell">
      <SessionBar />
      <main className="lk-graphiql" aria-label="GraphiQL">
        <GraphiQL
          fetcher={fetcher}
          defaultTabs={exampleTabs(defaultHeaders)}
          defaultHeaders={defaultHeaders}
          defaultEditorToolsVisibility="variables"
          isHeadersEditorEnabled
          shouldPersistHeaders={false}
          storage={tabStorage}
        />
      </main>
    </div>
  );
}

const root = document.getElementById("playground")!;
patchGraphiQL(root);
createRoot(root).render(<Playground />);
