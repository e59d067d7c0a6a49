// Rate limits as a form edits them: rows of name, limit and period, added
// and removed, with the viewer's own limits (the ceiling on what it may
// leave looser) said beside them.
import { useEffect, useId, useState } from "preact/hooks";
import { RateLimit, gql } from "./api";
import { FormErrors, GroupError } from "./ui";
import { RateLimitRow, wholeNumber } from "./validate";
import { Limit, personaLimitsRefusal } from "./ceiling";

export function toRows(limits: RateLimit[] | null | undefined): RateLimitRow[] {
  return (limits ?? []).map((l) => ({ name: l.name, limit: String(l.limit), periodSeconds: String(l.periodSeconds) }));
}

/** The rows as the API takes them (call after checkRateLimits found nothing). */
export function fromRows(rows: RateLimitRow[]): RateLimit[] {
  return rows.map((r) => ({ name: r.name.trim(), limit: wholeNumber(r.limit) ?? 0, periodSeconds: wholeNumber(r.periodSeconds) ?? 0 }));
}

/** A period in words: 60 → "a minute", 7200 → "2 hours". */
export function periodWords(seconds: number): string {
  const units: [number, string][] = [
    [86400, "day"],
    [3600, "hour"],
    [60, "minute"],
    [1, "second"],
  ];
  for (const [n, unit] of units) {
    if (seconds >= n && seconds % n === 0) {
      const k = seconds / n;
      return k === 1 ? `a ${unit}` : `${k.toLocaleString("en")} ${unit}s`;
    }
  }
  return `${seconds} seconds`;
}

/** A rate limit in words: "100 per minute (api)". */
export function limitWords(l: RateLimit): string {
  return `${l.limit.toLocaleString("en")} per ${periodWords(l.periodSeconds).replace(/^a /, "")} (${l.name})`;
}

const viewerLimitsQuery = `query ViewerLimits { viewer { apiToken { rateLimits { name limit periodSeconds } }
  persona { rateLimits { name limit periodSeconds } } } }`;

/** The viewer's own rate limits, its token's and its persona's: [] for an unlimited viewer. */
export function useViewerLimits(): Limit[] {
  const [limits, setLimits] = useState<Limit[]>([]);
  useEffect(() => {
    gql<{ viewer: { apiToken: { rateLimits: Limit[] }; persona: { rateLimits: Limit[] } } }>(viewerLimitsQuery)
      .then((d) => setLimits([...(d.viewer.apiToken.rateLimits ?? []), ...(d.viewer.persona.rateLimits ?? [])]))
      // Unknown: the server's check still applies on save.
      .catch(() => setLimits([]));
  }, []);
  return limits;
}

/** The rows of rate limits, with Add and Remove; `field` is where the server's errors about them land. */
export function RateLimitsField(props: {
  field: string;
  legend: string;
  hint: string;
  rows: RateLimitRow[];
  onRows: (rows: RateLimitRow[]) => void;
  errors: FormErrors;
  viewerLimits: Limit[];
}) {
  const id = useId();
  const { rows } = props;
  const set = (i: number, patch: Partial<RateLimitRow>) => {
    props.errors.edited(props.field);
    props.onRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  };
  const complete = rows.every((r) => wholeNumber(r.limit) !== null && wholeNumber(r.periodSeconds) !== null);
  const refusal = complete ? personaLimitsRefusal(props.viewerLimits, fromRows(rows)) : "";
  const error = props.errors.fields[props.field];
  return (
    <fieldset class="fieldset rate-limits" data-field={props.field} aria-describedby={id + "-hint"}>
      <legend>{props.legend}</legend>
      <p class="hint" id={id + "-hint"}>
        {props.hint}
      </p>
      {rows.length > 0 && (
        <ul class="limit-rows">
          {rows.map((r, i) => {
            const n = i + 1;
            const period = wholeNumber(r.periodSeconds);
            return (
              <li key={i} class="limit-row" data-limit-row={i}>
                <div class="field">
                  <label for={`${id}-name-${i}`}>Name of limit {n}</label>
                  <input
                    id={`${id}-name-${i}`}
                    name="limit-name"
                    value={r.name}
                    maxLength={32}
                    spellcheck={false}
                    autocomplete="off"
                    onInput={(e) => set(i, { name: (e.target as HTMLInputElement).value })}
                  />
                </div>
                <div class="field">
                  <label for={`${id}-limit-${i}`}>Requests</label>
                  <input
                    id={`${id}-limit-${i}`}
                    name="limit-limit"
                    inputMode="numeric"
                    value={r.limit}
                    onInput={(e) => set(i, { limit: (e.target as HTMLInputElement).value })}
                  />
                </div>
                <div class="field">
                  <label for={`${id}-period-${i}`}>Per seconds</label>
                  <input
                    id={`${id}-period-${i}`}
                    name="limit-period"
                    inputMode="numeric"
                    value={r.periodSeconds}
                    aria-describedby={`${id}-words-${i}`}
                    onInput={(e) => set(i, { periodSeconds: (e.target as HTMLInputElement).value })}
                  />
                  <span class="hint" id={`${id}-words-${i}`}>
                    {period ? periodWords(period) : ""}
                  </span>
                </div>
                <button
                  type="button"
                  class="button small danger-outline limit-remove"
                  aria-label={`Remove limit ${n}${r.name ? " " + r.name : ""}`}
                  onClick={() => {
                    props.errors.edited(props.field);
                    props.onRows(rows.filter((_, j) => j !== i));
                  }}
                >
                  Remove
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <button
        type="button"
        class="button small"
        data-testid="add-limit"
        disabled={rows.length >= 10}
        onClick={() => {
          props.errors.edited(props.field);
          props.onRows([...rows, { name: rows.length === 0 ? "requests" : "", limit: "", periodSeconds: "60" }]);
        }}
      >
        Add a rate limit
      </button>
      {refusal && (
        <p class="refusal" data-refusal="rateLimits">
          {refusal}
        </p>
      )}
      <GroupError text={error} />
    </fieldset>
  );
}
