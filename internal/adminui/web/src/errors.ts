// What the server's errors mean, in plain sentences that name the form's
// own controls. The meaning comes from extensions.code and extensions.field,
// never from the server's wording (which names API fields and arguments
// such as persona.name or detach): each form says what a code on one of its
// fields means, and the browser's own check (validate.ts) words input errors.
import { APIError } from "./api";

/** A sentence for an error, or a function making one from it. */
export type Sentence = string | ((e: APIError) => string);

export interface Explainer {
  /** The server's fields this form has controls for, and each control's label. */
  labels: Record<string, string>;
  /** What the browser's check says about a field as it is now ("" if nothing). */
  check?: (field: string) => string;
  /**
   * Sentences for this form's errors, by "CODE:field" (an error on that
   * field) or "CODE" (an error on none of its fields).
   */
  sentences?: Record<string, Sentence>;
}

/** Where an error belongs: a field of the form (a key of labels), or the form as a whole. */
export interface Explained {
  field?: string;
  text: string;
}

/** The field of labels an error's field falls under: itself, or the nearest enclosing one (persona for persona.name). */
function fieldOf(labels: Record<string, string>, field: string | undefined): string | undefined {
  for (let f = field; f; f = f.includes(".") ? f.slice(0, f.lastIndexOf(".")) : undefined) if (f in labels) return f;
  return undefined;
}

export function explain(e: unknown, x: Explainer = { labels: {} }): Explained {
  if (!(e instanceof APIError)) return { text: e instanceof Error ? e.message : String(e) };
  const field = fieldOf(x.labels, e.field);
  const say = (s: Sentence) => (typeof s === "function" ? s(e) : s);
  const own = x.sentences?.[`${e.code}:${e.field ?? ""}`] ?? (field ? x.sentences?.[`${e.code}:${field}`] : undefined);
  if (own) return { field, text: say(own) };
  if (field) {
    const label = x.labels[field];
    switch (e.code) {
      case "BAD_USER_INPUT":
        return { field, text: x.check?.(field) || `Latchkey did not accept this ${label.toLowerCase()}. Check it and try again.` };
      case "CONFLICT":
        return { field, text: `Another record already has this ${label.toLowerCase()}. Choose another.` };
      case "FORBIDDEN":
        return { field, text: `Your token may not give this ${label.toLowerCase()}.` };
    }
  }
  if (!e.field || !field) {
    const general = x.sentences?.[e.code];
    if (general) return { text: say(general) };
  }
  return { text: generalSentence(e) };
}

/** What an error means when no form explains it. */
export function generalSentence(e: APIError): string {
  switch (e.code) {
    case "NETWORK":
      return "Latchkey could not be reached. Check your connection and try again.";
    case "UNAUTHENTICATED":
      return "Your sign-in is no longer valid. Sign in again.";
    case "FORBIDDEN":
      // The server's reason names the permission or the limit in question;
      // it carries no field to map it by.
      return "Your token is not allowed to do this: " + e.message + ".";
    case "NOT_FOUND":
      return "This record no longer exists; someone may have deleted it. Reload the page.";
    case "CONFLICT":
      return "This conflicts with the records as they are now. Reload the page and try again.";
    case "RATE_LIMITED":
      return "Too many attempts; wait a little and retry.";
    case "UNAVAILABLE":
      return "Latchkey's database did not answer in time. Try again in a moment.";
    case "BAD_USER_INPUT":
      return "Latchkey did not accept what was sent. Check the form and try again.";
    default:
      return "Something went wrong on the server (its log has the details). Try again.";
  }
}

/** An error as a sentence, for a banner or a toast. */
export function message(e: unknown): string {
  return explain(e).text;
}
