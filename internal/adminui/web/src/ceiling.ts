// What the signed-in token may hand out, so that forms offer only that. It
// mirrors the server's rules (internal/authz/ceiling.go and
// internal/admin/caller.go), which stay the ones that count:
//   - a FULL_ACCESS viewer may grant anything, with any expiry;
//   - only a FULL_ACCESS viewer may make FULL_ACCESS tokens;
//   - a READ_ONLY grant is every read-only action of the catalog, so the
//     viewer must hold all of them; a CUSTOM grant only its own cells;
//   - a viewer that expires may not give any token an expiry later than
//     its own, or none; nor change the grants of a token that outlives it.
import { ContentType, Credits, RateLimit, TokenType } from "./api";
import { formatAbsolute } from "./dates";
import { Session, cell, typeLabels } from "./ui";
import { Network, networkWithin, parseNetwork } from "./validate";
import { limitText } from "./ratelimits";

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

// ---- The ceiling on a token's policy (internal/policy/ceiling.go) ----
// A viewer that is itself limited, whatever its access level, may not give
// a token a looser rate limit, more credits or a wider network than its own,
// nor leave the tokens of a persona it edits with looser rate limits.

/** The viewer's own policy as the server's ceiling reads it: its token's limits with its persona's, its credits, its networks. */
export interface PolicyCeiling {
  limits: RateLimit[];
  credits: Credits | null;
  networks: string[];
}

export function policyCeiling(session: Session): PolicyCeiling {
  const t = session.viewer.apiToken;
  return {
    limits: [...(t.rateLimits ?? []), ...(session.viewer.persona.rateLimits ?? [])],
    credits: t.credits ?? null,
    networks: t.allowedNetworks ?? [],
  };
}

/**
 * Whether token limit t lets through, in every window of the viewer's
 * limit c, no more than c does (policy.AsStrict): windows are aligned to
 * the epoch, so one c-window touches P/p t-windows when p divides P, else
 * at most ⌊P/p⌋+2.
 */
export function asStrict(t: RateLimit, c: RateLimit): boolean {
  const p = t.periodSeconds;
  const P = c.periodSeconds;
  if (p <= 0 || p > P) return false;
  const touched = Math.floor(P / p) + (P % p === 0 ? 0 : 2);
  return t.limit * touched <= c.limit;
}

/** The viewer's limits that none of these is as strict as (policy.LimitsWithin): what a token with only these would break. */
export function limitsUncovered(c: PolicyCeiling, limits: RateLimit[]): RateLimit[] {
  return c.limits.filter((l) => !limits.some((t) => asStrict(t, l)));
}

/** Why these limits of a token are looser than the viewer's, or "": each of the viewer's limits needs one at least as strict. */
export function limitsRefusal(c: PolicyCeiling, token: RateLimit[]): string {
  const [l] = limitsUncovered(c, token);
  if (!l) return "";
  return `Your token is limited to ${limitText(l)} (“${l.name}”), so a token you make needs a limit at least as strict.`;
}

/**
 * Why a persona's limits may be refused, or "": each of the viewer's limits
 * they leave uncovered. Only may: a token acting as the persona can keep a
 * limit as strict itself, so the server decides by the persona's tokens.
 */
export function personaLimitsRefusal(c: PolicyCeiling, limits: RateLimit[]): string {
  const open = limitsUncovered(c, limits);
  if (open.length === 0) return "";
  const said = open.map((l) => `${limitText(l)} (“${l.name}”)`).join(", ");
  return `Your token is limited to ${said}. Each token acting as this persona must keep a limit at least as strict, here or on the token itself, or Latchkey refuses the change.`;
}

function perMonth(c: Credits, most: boolean): number {
  if (!c.refillAmount || c.refillAmount <= 0) return 0;
  if (c.refillInterval === "MONTHLY") return c.refillAmount;
  return c.refillAmount * (most ? 31 : 28);
}

/** Why these credits are more than the viewer may give, or "" (policy.CreditsWithin). */
export function creditsRefusal(c: PolicyCeiling, token: Credits | null): string {
  const own = c.credits;
  if (!own) return "";
  if (!token) return "Your token has usage credits, so a token you make needs credits too.";
  if (token.remaining > own.remaining) return `Your token has ${own.remaining.toLocaleString("en")} credits left; a token you make may not start with more.`;
  if (token.refillAmount && token.refillAmount > 0) {
    if (!own.refillAmount || own.refillAmount <= 0) return "Your token’s credits are never refilled, so a token you make may not refill either.";
    const same = token.refillInterval === own.refillInterval;
    if ((same && token.refillAmount > own.refillAmount) || (!same && perMonth(token, true) > perMonth(own, false)))
      return `Your token refills ${own.refillAmount.toLocaleString("en")} credits ${own.refillInterval === "DAILY" ? "a day" : "a month"}; a token you make may not refill more.`;
    if (token.refillMode === "ADD" && own.refillMode !== "ADD") return "Your token’s refill resets its credits, so a token you make may not add unused credits up.";
  }
  return "";
}

/** The most credits the viewer may give, or null for any number. */
export function creditsMax(c: PolicyCeiling): number | null {
  return c.credits ? c.credits.remaining : null;
}

/** Why these networks are wider than the viewer's, or "" (policy.NetworksWithin). */
export function networksRefusal(c: PolicyCeiling, token: string[]): string {
  if (c.networks.length === 0) return "";
  const own = c.networks.map(parseNetwork).filter((n): n is Network => !!n);
  const list = c.networks.join(", ");
  if (token.length === 0) return `Your token may only be used from ${list}, so a token you make must be bound to networks within them.`;
  for (const text of token) {
    const n = parseNetwork(text);
    if (n && !own.some((o) => networkWithin(n, o))) return `${text.trim()} is not within your token’s networks (${list}).`;
  }
  return "";
}

/** Why the viewer may not let a token rotate itself, or "": that needs api-token:update and api-token:regenerate (internal/admin/rotation.go). */
export function selfRotationRefusal(session: Session): string {
  if (session.can("api-token", "update") && session.can("api-token", "regenerate")) return "";
  return "Letting a token roll its own secret needs the permissions to update and to regenerate API tokens, which your token lacks.";
}
