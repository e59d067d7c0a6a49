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
