// The browser's own check of a form before it is sent: the obvious problems
// the server would refuse, worded for the form's controls. It mirrors the
// server's rules in internal/admin (admin.go: text, checkName, slug,
// avatarURL, description; internal/secret: Check), which stay the ones that
// count: anything the browser lets through is still checked there.

/** What is wrong with a value, in a sentence; "" when nothing is. */
export type Problem = string;

/** Lengths count characters (code points) after trimming, as the server does. */
export function length(v: string): number {
  return [...v.trim()].length;
}

// Controls, formatting characters (zero-width spaces, bidirectional
// overrides), variation selectors, other default-ignorable code points and
// the Braille blank: they make names look alike (admin.go: invisible).
const invisible = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** A display name: 1 to 100 characters, none of them invisible. */
export function checkName(label: string, v: string): Problem {
  const n = length(v);
  if (n === 0) return `Enter a ${label.toLowerCase()}.`;
  if (n > 100) return `The ${label.toLowerCase()} is ${n} characters long; at most 100 fit.`;
  if (invisible.test(v.trim())) return `The ${label.toLowerCase()} contains an invisible or control character; remove it.`;
  return "";
}

/** A description: at most 1000 characters. */
export function checkDescription(v: string): Problem {
  const n = length(v);
  return n > 1000 ? `The description is ${n} characters long; at most 1000 fit.` : "";
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

/** An avatar: empty, or an https URL with a host and no user name, at most 2048 characters. */
export function checkAvatarURL(v: string): Problem {
  const s = v.trim();
  if (!s) return "";
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return "The avatar must be a whole web address starting with https://.";
  }
  if (u.protocol !== "https:") return "The avatar must be an https address (http and other kinds are not loaded).";
  if (!u.hostname) return "The avatar address has no host name.";
  if (u.username || u.password) return "The avatar address must not contain a user name or password.";
  if (s.length > 2048) return `The avatar address is ${s.length} characters long; at most 2048 fit.`;
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
