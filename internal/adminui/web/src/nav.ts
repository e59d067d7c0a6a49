// Client-side routing under /admin/: paths are relative to base, and
// navigate changes the address and tells the shell.
export const base = "/admin/";

/** The path below base, without trailing slashes: "tokens/tok_…". */
export function currentPath(): string {
  const p = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : "";
  return p.replace(/\/+$/, "");
}

/** Goes to a path below base (or an absolute one under it) as a link would. */
export function navigate(path: string) {
  history.pushState(null, "", path.startsWith(base) ? path : base + path);
  dispatchEvent(new PopStateEvent("popstate"));
}

/** The address of a token's page. */
export function tokenPath(id: string): string {
  return base + "tokens/" + encodeURIComponent(id);
}
