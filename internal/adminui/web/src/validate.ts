// The browser's own check of a form before it is sent: the obvious problems
// the server would refuse, worded for the form's controls. It mirrors the
// server's rules in internal/admin (admin.go: text, checkName, slug,
// avatarURL, description; internal/secret: Check), which stay the ones that
// count: anything the browser lets through is still checked there.

/** What is wrong with a value, in a sentence; "" when nothing is. */
export type Problem = string;

// White space as Go's strings.TrimSpace sees it (unicode.IsSpace), which
// differs from String.prototype.trim: U+0085 is space, U+FEFF is not.
const space = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const edges = new RegExp(`^[${space}]+|[${space}]+$`, "g");

/** v without the white space around it, as the server trims it. */
export function trim(v: string): string {
  return v.replace(edges, "");
}

/** Lengths count characters (code points) after trimming, as the server does. */
export function length(v: string): number {
  return [...trim(v)].length;
}

// Controls, formatting characters (zero-width spaces, bidirectional
// overrides), variation selectors, other default-ignorable code points and
// the Braille blank: they make names look alike (admin.go: invisible).
const invisible = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** "is 120 characters long", or "" when the value fits. */
function tooLong(what: string, v: string, max: number): Problem {
  const n = length(v);
  return n > max ? `The ${what} is ${n} characters long; at most ${max} fit.` : "";
}

/** A display name: 1 to 100 characters, none of them invisible. */
export function checkName(label: string, v: string): Problem {
  const what = label.toLowerCase();
  if (length(v) === 0) return `Enter a ${what}.`;
  const long = tooLong(what, v, 100);
  if (long) return long;
  if (invisible.test(trim(v))) return `The ${what} contains an invisible or control character; remove it.`;
  return "";
}

/** A description: at most 1000 characters. */
export function checkDescription(v: string): Problem {
  return tooLong("description", v, 1000);
}

const slugRE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A slug (a token's code, a content type's UID, an action): lower-case letters and digits joined by single hyphens. */
export function checkSlug(label: string, v: string, max: number): Problem {
  if (v.length > max) return `The ${label.toLowerCase()} is ${v.length} characters long; at most ${max} fit.`;
  if (!slugRE.test(v)) {
    const example = suggestSlug(v);
    return (
      `Use lower-case letters and digits joined by single hyphens for the ${label.toLowerCase()}` +
      (example && example !== v ? `, such as “${example}”.` : ".")
    );
  }
  return "";
}

/** The slug the server would make of a name (admin.go: slugify), for a hint. */
export function suggestSlug(v: string): string {
  return v
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 90);
}

/**
 * An avatar: empty, or an https URL with a host and no user name, at most
 * 2048 bytes. Only what the server refuses for certain is refused here; the
 * rest of parsing a URL is left to the server, whose parser is not the
 * browser's.
 */
export function checkAvatarURL(v: string): Problem {
  const s = trim(v);
  if (!s) return "";
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(s);
  if (!m) return "The avatar must be a whole web address starting with https://.";
  if (m[1].toLowerCase() !== "https") return "The avatar must be an https address (http and other kinds are not loaded).";
  if (!m[2].startsWith("//")) return "The avatar address must start with https:// (two slashes).";
  const authority = m[2].slice(2).split(/[/?#]/, 1)[0];
  if (authority.includes("@")) return "The avatar address must not contain a user name or password.";
  if (!authority) return "The avatar address has no host name.";
  const bytes = new TextEncoder().encode(s).length;
  if (bytes > 2048) return `The avatar address is ${bytes} bytes long; at most 2048 fit.`;
  return "";
}

const generatedRE = /^lk_[0-9A-Za-z]{46}$/;

/** A secret of one's own (internal/secret: Check), without its checksum, which only the server tells. */
export function checkSecret(v: string): Problem {
  if (v.startsWith("lk_")) {
    return generatedRE.test(v)
      ? ""
      : "A value that starts with lk_ must be a whole Latchkey token (49 characters). Choose a value with another start.";
  }
  if (v.length < 32) return `The token value is ${v.length} characters long; it needs at least 32.`;
  if (v.length > 256) return `The token value is ${v.length} characters long; at most 256 fit.`;
  if (/[^\x21-\x7e]/.test(v)) return "The token value may only contain printable ASCII characters, without spaces.";
  return "";
}

/** Only the problems found: field → sentence. */
export function problems(all: Record<string, Problem>): Record<string, string> {
  return Object.fromEntries(Object.entries(all).filter(([, p]) => p));
}

/**
 * A webhook endpoint's address (admin/webhooks.go: webhookURL): https, or
 * http on a loopback address; a host, no user name or fragment, at most
 * 2048 characters.
 */
export function checkWebhookURL(v: string): Problem {
  const s = trim(v);
  if (!s) return "Enter the address that receives the events.";
  if (s.length > 2048) return `The address is ${s.length} characters long; at most 2048 fit.`;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return "Enter a whole web address starting with https://.";
  }
  if (!u.hostname) return "The address has no host name.";
  if (u.username || u.password) return "The address must not contain a user name or password.";
  if (s.includes("#")) return "The address must not contain a # fragment.";
  const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(u.hostname);
  if (u.protocol === "https:") return "";
  if (u.protocol === "http:" && loopback) return "";
  return "The address must start with https:// (plain http only on this machine, for tests).";
}

/** An id in the adopter's own system (internal/metadata: CheckExternalID): empty, or 1 to 255 visible ASCII characters. */
export function checkExternalID(v: string): Problem {
  if (!v) return "";
  if (v.length > 255) return `The external ID is ${v.length} characters long; at most 255 fit.`;
  if (/[^\x21-\x7e]/.test(v)) return "The external ID may only contain visible ASCII characters: letters, digits and punctuation, no spaces.";
  return "";
}

// ---- A token's or a persona's policy (internal/policy/validate.go, internal/metadata) ----

const limitNameRE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const maxRateLimits = 10;
export const maxLimit = 1_000_000_000;
export const maxPeriodSeconds = 366 * 24 * 60 * 60;

/** A rate limit as the forms hold it (ratelimits.tsx): its numbers as typed, the period in units. */
export interface RateLimitRow {
  name: string;
  limit: string;
  period: string;
  unit: number; // seconds per unit of period
}

/** Rate limits: at most 10, names unique (in any case) of 1–32 letters, digits, '_', '.', '-', a limit of 1 to 10⁹ per 1 s to a year. */
export function checkRateLimits(rows: RateLimitRow[]): Problem {
  if (rows.length > maxRateLimits) return `At most ${maxRateLimits} rate limits fit; remove ${rows.length - maxRateLimits}.`;
  const seen = new Set<string>();
  for (const [i, r] of rows.entries()) {
    const n = trim(r.name);
    const which = n ? `“${n}”` : `number ${i + 1}`;
    if (!n) return `Give rate limit number ${i + 1} a name, such as “requests”.`;
    if (n.length > 32 || !limitNameRE.test(n))
      return `The rate limit name ${which} may only use letters, digits, “_”, “.” and “-” (1 to 32, starting with a letter or digit).`;
    if (seen.has(n.toLowerCase())) return `Two rate limits are named ${which}; give each its own name.`;
    seen.add(n.toLowerCase());
    const limit = wholeNumber(r.limit);
    if (limit === null || limit < 1 || limit > maxLimit) return `The limit of ${which} must be a whole number from 1 to 1,000,000,000.`;
    const period = wholeNumber(r.period);
    if (period === null || period < 1 || period * r.unit > maxPeriodSeconds) return `The period of ${which} must be a whole number, at least 1 second and at most a year.`;
  }
  return "";
}

/** The whole number a box holds, or null. */
export function wholeNumber(v: string): number | null {
  const s = trim(v);
  return /^\d{1,15}$/.test(s) ? Number(s) : null;
}

/** A number of days or seconds from min to max; empty is allowed when optional. */
export function checkWhole(label: string, v: string, min: number, max: number, optional: boolean): Problem {
  if (!trim(v)) return optional ? "" : `Enter the ${label.toLowerCase()}.`;
  const n = wholeNumber(v);
  if (n === null || n < min || n > max) return `The ${label.toLowerCase()} must be a whole number from ${min} to ${max.toLocaleString("en")}.`;
  return "";
}

/** A network as Go's netip reads it: family, the address's bytes (IPv4-mapped IPv6 as IPv4) and the prefix length. */
export interface Network {
  v6: boolean;
  bytes: number[];
  bits: number;
}

function parseIPv4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

function parseIPv6(s: string): number[] | null {
  if (s.includes("%")) return null; // zones are refused
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === "") return [];
    const out: number[] = [];
    const parts = h.split(":");
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  if (halves.length === 2 ? head.length + tail.length > 7 : head.length !== 8) return null;
  const all = [...head, ...Array(8 - head.length - tail.length).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 255]);
}

/** A CIDR or a single address, IPv4 or IPv6 (internal/policy: ParseNetwork), or null. */
export function parseNetwork(text: string): Network | null {
  const s = trim(text);
  const slash = s.indexOf("/");
  const addr = slash < 0 ? s : s.slice(0, slash);
  let bytes = addr.includes(":") ? parseIPv6(addr) : parseIPv4(addr);
  if (!bytes) return null;
  let v6 = bytes.length === 16;
  let bits = bytes.length * 8;
  if (slash >= 0) {
    const b = s.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(b) || Number(b) > bits) return null;
    bits = Number(b);
  }
  const mapped = v6 && bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 255 && bytes[11] === 255;
  if (mapped) {
    if (bits < 96) return null;
    bytes = bytes.slice(12);
    bits -= 96;
    v6 = false;
  }
  return { v6, bytes, bits };
}

/** Whether network inner lies inside outer (netip: outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())). */
export function networkWithin(inner: Network, outer: Network): boolean {
  if (inner.v6 !== outer.v6 || outer.bits > inner.bits) return false;
  for (let i = 0; i < outer.bits; i++) {
    const bit = (x: number[]) => (x[i >> 3] >> (7 - (i & 7))) & 1;
    if (bit(inner.bytes) !== bit(outer.bytes)) return false;
  }
  return true;
}

/** Allowed networks, one per line: at most 100, each a CIDR or an address. */
export function checkNetworks(lines: string[]): Problem {
  if (lines.length > 100) return `At most 100 networks fit; there are ${lines.length}.`;
  const bad = lines.find((l) => !parseNetwork(l));
  if (bad !== undefined) return `“${bad}” is not a network: write a CIDR such as 10.0.0.0/8 or 2001:db8::/32, or a single address.`;
  return "";
}

/** The lines of a text area that hold something, trimmed. */
export function lines(v: string): string[] {
  return v
    .split("\n")
    .map(trim)
    .filter((l) => l !== "");
}

const metadataMaxBytes = 4096;

/** The metadata as typed: empty (none) or a JSON object of at most 4096 bytes, 100 keys of 1–128 bytes, nested 5 deep. */
export function checkMetadata(v: string): Problem {
  if (!trim(v)) return "";
  let value: unknown;
  try {
    value = JSON.parse(v);
  } catch (e) {
    return "The metadata is not valid JSON: " + (e instanceof Error ? e.message : String(e)) + ".";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "The metadata must be a JSON object in braces, such as {\"team\": \"billing\"}.";
  let keys = 0;
  const utf8 = (s: string) => new TextEncoder().encode(s).length;
  const walk = (x: unknown, depth: number): Problem => {
    if (typeof x !== "object" || x === null) return "";
    if (depth > 5) return "The metadata may nest objects and arrays at most 5 deep.";
    for (const [k, e] of Array.isArray(x) ? x.map((e) => ["", e] as const) : Object.entries(x)) {
      if (!Array.isArray(x)) {
        if (++keys > 100) return "The metadata may have at most 100 keys in all.";
        if (k === "" || utf8(k) > 128) return "Every metadata key must be 1 to 128 bytes long.";
      }
      const p = walk(e, depth + 1);
      if (p) return p;
    }
    return "";
  };
  const p = walk(value, 1);
  if (p) return p;
  const size = utf8(JSON.stringify(sortKeys(value)));
  if (size > metadataMaxBytes) return `The metadata takes ${size} bytes as compact JSON; at most ${metadataMaxBytes} fit.`;
  return "";
}

function sortKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeys);
  if (typeof x !== "object" || x === null) return x;
  return Object.fromEntries(
    Object.keys(x)
      .sort()
      .map((k) => [k, sortKeys((x as Record<string, unknown>)[k])]),
  );
}
