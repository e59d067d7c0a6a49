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

/** The length of the trimmed value in UTF-8 bytes: the database's columns count bytes (ent's MaxLen). */
export function bytes(v: string): number {
  return new TextEncoder().encode(trim(v)).length;
}

/** "is 120 characters long" or, when the characters fit but their bytes do not, why. */
function tooLong(what: string, v: string, max: number): Problem {
  const n = length(v);
  if (n > max) return `The ${what} is ${n} characters long; at most ${max} fit.`;
  const b = bytes(v);
  if (b > max)
    return `The ${what} is too long: its letters outside plain English take more room, ${b} bytes in all, and at most ${max} fit. Shorten it.`;
  return "";
}

/** A display name: 1 to 100 characters (and, as stored, 100 bytes), none of them invisible. */
export function checkName(label: string, v: string): Problem {
  const what = label.toLowerCase();
  if (length(v) === 0) return `Enter a ${what}.`;
  const long = tooLong(what, v, 100);
  if (long) return long;
  if (invisible.test(trim(v))) return `The ${what} contains an invisible or control character; remove it.`;
  return "";
}

/** A description: at most 1000 characters (and, as stored, 1000 bytes). */
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

/** Metadata (internal/metadata): empty, or a JSON object of at most 4096 bytes, 100 keys and 5 levels. */
export function checkJSONObject(label: string, v: string): Problem {
  const s = trim(v);
  if (!s) return "";
  let value: unknown;
  try {
    value = JSON.parse(s);
  } catch (e) {
    return `The ${label.toLowerCase()} is not valid JSON: ${(e as Error).message}.`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return `The ${label.toLowerCase()} must be a JSON object, in braces: {"team": "payments"}.`;
  let keys = 0;
  let problem = "";
  const walk = (x: unknown, depth: number) => {
    if (problem || x === null || typeof x !== "object") return;
    if (depth > 5) return void (problem = `The ${label.toLowerCase()} nests objects and lists more than 5 deep.`);
    if (Array.isArray(x)) return x.forEach((y) => walk(y, depth + 1));
    for (const [k, y] of Object.entries(x)) {
      if (++keys > 100) return void (problem = `The ${label.toLowerCase()} has more than 100 keys in all.`);
      const n = new TextEncoder().encode(k).length;
      if (n < 1 || n > 128) return void (problem = `Every key of the ${label.toLowerCase()} must be 1 to 128 bytes long.`);
      walk(y, depth + 1);
    }
  };
  walk(value, 1);
  if (problem) return problem;
  const size = new TextEncoder().encode(JSON.stringify(value)).length;
  if (size > 4096) return `The ${label.toLowerCase()} is ${size} bytes as compact JSON; at most 4096 fit.`;
  return "";
}

/** An id in the adopter's own system (internal/metadata: CheckExternalID): empty, or 1 to 255 visible ASCII characters. */
export function checkExternalID(v: string): Problem {
  if (!v) return "";
  if (v.length > 255) return `The external ID is ${v.length} characters long; at most 255 fit.`;
  if (/[^\x21-\x7e]/.test(v)) return "The external ID may only contain visible ASCII characters: letters, digits and punctuation, no spaces.";
  return "";
}

/** A rate limit as a form row holds it: text boxes. */
export interface RateLimitRow {
  name: string;
  limit: string;
  periodSeconds: string;
}

/** Rate limits (internal/policy: CheckRateLimits): at most 10, names unique, 1 to 1e9 per 1 s to a year. */
export function checkRateLimits(rows: RateLimitRow[]): Problem {
  if (rows.length > 10) return "At most 10 rate limits fit.";
  const seen = new Set<string>();
  for (const [i, r] of rows.entries()) {
    const name = trim(r.name);
    const which = name ? `The rate limit “${name}”` : `Rate limit ${i + 1}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || name.length > 32)
      return `${which}: name it with 1 to 32 letters, digits, “_”, “.” or “-”, starting with a letter or digit.`;
    if (seen.has(name.toLowerCase())) return `Two rate limits are named “${name}”; give each its own name.`;
    seen.add(name.toLowerCase());
    const limit = wholeNumber(r.limit);
    if (limit === null || limit < 1 || limit > 1_000_000_000) return `${which}: the limit must be a whole number from 1 to 1,000,000,000.`;
    const period = wholeNumber(r.periodSeconds);
    if (period === null || period < 1 || period > 366 * 86400) return `${which}: the period must be a whole number of seconds from 1 to 31,622,400 (a year).`;
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
