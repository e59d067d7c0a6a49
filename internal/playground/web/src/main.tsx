// Latchkey's GraphQL playground: GraphiQL with everything bundled, talking
// to /graphql on the same origin, the Authorization header ready to fill in.
import "graphiql/graphiql.css";
import "./playground.css";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";

const endpoint = "/graphql";

const defaultHeaders = `{"Authorization": "Bearer "}`;

const defaultQuery = `# Welcome to Latchkey's GraphQL playground.
#
# Paste an API token after "Bearer " in the Headers tab below, then run
# this query with the ▶ button or Ctrl+Enter. The Docs button on the left
# shows the whole schema.

{
  viewer {
    persona {
      name
    }
    permissions {
      contentType
      action
    }
  }
}
`;

type Params = { query: string; operationName?: string | null; variables?: unknown };
type Opts = { headers?: Record<string, unknown> };

/**
 * An Authorization header with nothing after "Bearer" (the editor's
 * starting value) is dropped, so the schema still loads anonymously
 * instead of being refused as an invalid token.
 */
function requestHeaders(given: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  for (const [k, v] of Object.entries(given ?? {})) {
    if (v === undefined || v === null) continue;
    const value = String(v);
    if (k.toLowerCase() === "authorization" && /^\s*bearer\s*$/i.test(value)) continue;
    headers[k] = value;
  }
  return headers;
}

/**
 * Where GraphiQL keeps its state (tabs, query history, theme, pane sizes):
 * this tab's sessionStorage, never localStorage. The history records the
 * headers of every run, so the pasted token is kept only as long as the tab,
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

async function fetcher(params: Params, opts?: Opts) {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: requestHeaders(opts?.headers),
    body: JSON.stringify(params),
    credentials: "omit",
  });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return { errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 500)}` }] };
  }
}

createRoot(document.getElementById("playground")!).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={defaultQuery}
    defaultHeaders={defaultHeaders}
    defaultEditorToolsVisibility="headers"
    isHeadersEditorEnabled
    shouldPersistHeaders={false}
    storage={tabStorage}
  />,
);
