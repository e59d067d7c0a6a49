// Rate limits as the forms edit them, a token's (tokenpolicy.tsx) and a
// persona's (personas.tsx): rows of name, requests, period and unit, added
// and removed, with what the viewer's own limits (its ceiling, ceiling.ts)
// mean for them said beside the rows.
import { ComponentChildren } from "preact";
import { RateLimit } from "./api";
import { periodText } from "./dates";
import { FormErrors, GroupError } from "./ui";
import { RateLimitRow, maxRateLimits, wholeNumber } from "./validate";

/** The units a row's period is counted in: seconds per unit, and its name. */
export const periodUnits: [number, string][] = [
  [1, "seconds"],
  [60, "minutes"],
  [3600, "hours"],
  [86400, "days"],
];

/** Rows for the form: each period in the largest unit that divides it. */
export function toRows(limits: RateLimit[] | null | undefined): RateLimitRow[] {
  return (limits ?? []).map((l) => {
    const [unit] = [...periodUnits].reverse().find(([u]) => l.periodSeconds % u === 0) ?? [1];
    return { name: l.name, limit: String(l.limit), period: String(l.periodSeconds / unit), unit };
  });
}

/** The rows as the API takes them (meaningful once checkRateLimits finds nothing). */
export function fromRows(rows: RateLimitRow[]): RateLimit[] {
  return rows.map((r) => ({ name: r.name.trim(), limit: wholeNumber(r.limit) ?? 0, periodSeconds: (wholeNumber(r.period) ?? 0) * r.unit }));
}

/** A rate limit in words: "100 per minute", "5 per 90 seconds". */
export function limitText(l: RateLimit): string {
  return `${l.limit.toLocaleString("en")} per ${periodText(l.periodSeconds)}`;
}

/**
 * The rows of rate limits with Add and Remove, edited as the form's field
 * "rateLimits" (where its errors land); `ceiling` is what the viewer's own
 * limits mean for them, shown when there is something to say.
 */
export function RateLimitsField(props: {
  hint: ComponentChildren;
  ceiling?: string;
  rows: RateLimitRow[];
  onRows: (rows: RateLimitRow[]) => void;
  errors: FormErrors;
}) {
  const { rows, errors } = props;
  const change = (next: RateLimitRow[]) => {
    errors.edited("rateLimits");
    props.onRows(next);
  };
  const setRow = (i: number, patch: Partial<RateLimitRow>) => change(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset class="fieldset" data-field="rateLimits">
      <legend>Rate limits</legend>
      <p class="hint">{props.hint}</p>
      {props.ceiling && (
        <p class="hint refusal" data-refusal="rateLimits">
          {props.ceiling}
        </p>
      )}
      {rows.map((r, i) => {
        const which = (what: string) => <span class="visually-hidden">{` ${what} rate limit ${i + 1}`}</span>;
        return (
          <div class="limit-row" key={i} data-limit-row={i}>
            <label>
              <span>Name{which("of")}</span>
              <input
                name="limit-name"
                value={r.name}
                maxLength={32}
                spellcheck={false}
                autocomplete="off"
                placeholder="requests"
                onInput={(e) => setRow(i, { name: (e.target as HTMLInputElement).value })}
              />
            </label>
            <label>
              <span>Requests{which("of")}</span>
              <input name="limit-limit" type="number" min="1" inputMode="numeric" value={r.limit} onInput={(e) => setRow(i, { limit: (e.target as HTMLInputElement).value })} />
            </label>
            <label>
              <span>per{which("period of")}</span>
              <input name="limit-period" type="number" min="1" inputMode="numeric" value={r.period} onInput={(e) => setRow(i, { period: (e.target as HTMLInputElement).value })} />
            </label>
            <label>
              <span class="visually-hidden">Unit of the period of rate limit {i + 1}</span>
              <select name="limit-unit" value={String(r.unit)} onChange={(e) => setRow(i, { unit: Number((e.target as HTMLSelectElement).value) })}>
                {periodUnits.map(([u, n]) => (
                  <option key={u} value={String(u)}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" class="button small" data-remove-limit={i} onClick={() => change(rows.filter((_, j) => j !== i))}>
              Remove<span class="visually-hidden"> rate limit {r.name || i + 1}</span>
            </button>
          </div>
        );
      })}
      {rows.length < maxRateLimits && (
        <button
          type="button"
          class="button small"
          data-add-limit
          onClick={() => change([...rows, { name: rows.length ? "" : "requests", limit: "", period: "1", unit: 60 }])}
        >
          Add a rate limit
        </button>
      )}
      <GroupError text={errors.fields.rateLimits} />
    </fieldset>
  );
}
