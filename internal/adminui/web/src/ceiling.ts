// What the signed-in token may hand out, so that forms offer only that. It
// mirrors the server's rules (internal/authz/ceiling.go and
// internal/admin/caller.go), which stay the ones that count:
//   - a FULL_ACCESS viewer may grant anything, with any expiry;
//   - only a FULL_ACCESS viewer may make FULL_ACCESS tokens;
//   - a READ_ONLY grant is every read-only action of the catalog, so the
//     viewer must hold all of them; a CUSTOM grant only its own cells;
//   - a viewer that expires may not give any token an expiry later than
//     its own, or none; nor change the grants of a token that outlives it.
import { ContentType, TokenType } from "./api";
import { formatAbsolute } from "./dates";
import { Session, cell, typeLabels } from "./ui";

const day = 86400e3;

/** The cells the viewer may grant, or undefined for all of them. */
export function grantCeiling(session: Session, contentTypes: ContentType[]): Set<string> | undefined {
  switch (session.viewer.apiToken.type) {
    case "FULL_ACCESS":
      return undefined;
    case "READ_ONLY":
      // Worked out from the catalog, so content types registered since
      // sign-in count too.
      return new Set(contentTypes.flatMap((ct) => ct.actions.filter((a) => a.readOnly).map((a) => cell(ct.uid, a.name))));
    default:
      return session.granted;
  }
}

/** Why the viewer may not make a token of this type, or "" if it may. */
export function typeRefusal(session: Session, type: TokenType, contentTypes: ContentType[] | null): string {
  const own = session.viewer.apiToken.type;
  if (own === "FULL_ACCESS") return "";
  if (type === "FULL_ACCESS") return `Only a full-access token can grant full access; yours is ${typeLabels[own].toLowerCase()}.`;
  if (type === "READ_ONLY" && own !== "READ_ONLY" && contentTypes) {
    const missing = contentTypes.some((ct) => ct.actions.some((a) => a.readOnly && !session.granted.has(cell(ct.uid, a.name))));
    if (missing) return "Your token does not hold every read-only action, so it cannot grant read-only access.";
  }
  return "";
}

/** The latest expiry the viewer may give, or null when it may give any (or none). */
export function expiryLimit(session: Session): Date | null {
  const t = session.viewer.apiToken;
  if (t.type === "FULL_ACCESS" || !t.expiresAt) return null;
  return new Date(t.expiresAt);
}

export type Lifespan = "DAYS_7" | "DAYS_30" | "DAYS_90" | "UNLIMITED";

const lifespanDays: Record<Lifespan, number | null> = { DAYS_7: 7, DAYS_30: 30, DAYS_90: 90, UNLIMITED: null };

/** Why the viewer may not give this lifespan (counted from now), or "". */
export function lifespanRefusal(session: Session, lifespan: Lifespan, now = Date.now()): string {
  const limit = expiryLimit(session);
  if (!limit) return "";
  const days = lifespanDays[lifespan];
  if (days === null || now + days * day > limit.getTime()) return outlives(limit);
  return "";
}

/** Why the viewer may not give (or, editing grants, keep) this expiry, or "". */
export function expiryRefusal(session: Session, expiresAt: string | Date | null): string {
  const limit = expiryLimit(session);
  if (!limit) return "";
  if (expiresAt === null || new Date(expiresAt).getTime() > limit.getTime()) return outlives(limit);
  return "";
}

function outlives(limit: Date): string {
  return `Your token expires ${formatAbsolute(limit.toISOString())}; a token you give an expiry cannot outlive it.`;
}

// ---- Rate limits (internal/policy/ceiling.go) ----
// A viewer that is itself rate limited (its token's limits with its
// persona's) may not leave a token looser: for each of the viewer's limits
// the token, with its persona's limits, must keep one at least as strict.

/** A rate limit: at most limit per window of periodSeconds. */
export interface Limit {
  name: string;
  limit: number;
  periodSeconds: number;
}

/**
 * Whether limit t lets through, in every window of c, no more than c does
 * (policy.AsStrict): windows are aligned to the epoch, so a c-window touches
 * P/p t-windows when p divides P, and at most ⌊P/p⌋+2 otherwise.
 */
export function asStrict(t: Limit, c: Limit): boolean {
  const p = t.periodSeconds;
  const P = c.periodSeconds;
  if (p <= 0 || p > P) return false;
  const touched = Math.floor(P / p) + (P % p !== 0 ? 2 : 0);
  return t.limit * touched <= c.limit;
}

/** The viewer's limits that none of these limits is as strict as: what a persona with them alone would break. */
export function limitsUncovered(viewerLimits: Limit[], limits: Limit[]): Limit[] {
  return viewerLimits.filter((c) => !limits.some((t) => asStrict(t, c)));
}

/** Why limits may be refused for the tokens of a persona, or "": each uncovered limit of the viewer, in words. */
export function limitsRefusal(viewerLimits: Limit[], limits: Limit[]): string {
  const open = limitsUncovered(viewerLimits, limits);
  if (open.length === 0) return "";
  const said = open.map((l) => `${l.limit.toLocaleString("en")} per ${l.periodSeconds} s (“${l.name}”)`).join(", ");
  return `Your token is limited to ${said}. Each token acting as this persona must keep a limit at least as strict, here or on the token itself, or Latchkey refuses the change.`;
}
