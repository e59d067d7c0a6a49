// A token's policy besides its permissions (schema/tokenpolicy.graphql,
// identity.graphql, policy.graphql): rate limits, credits, allowed
// networks, notBefore, metadata and self-rotation. The form's
// "Limits and conditions" group and what the token's page shows of them.
// What a limited viewer may give is bounded as the server bounds it
// (ceiling.ts, mirroring internal/policy/ceiling.go).
import { Credits, RateLimit, RefillInterval, RefillMode, TokenPolicy } from "./api";
import { creditsMax, creditsRefusal, limitsRefusal, networksRefusal, policyCeiling, selfRotationRefusal } from "./ceiling";
import { utcOffset } from "./dates";
import { Sentence } from "./errors";
import { FormErrors, FormField, GroupError, Session } from "./ui";
import { RateLimitRow, checkMetadata, checkNetworks, checkRateLimits, lines, wholeNumber } from "./validate";
import { RateLimitsField, fromRows, limitText, toRows } from "./ratelimits";

/** The group's state, as typed. */
export interface PolicyState {
  limits: RateLimitRow[];
  useCredits: boolean;
  remaining: string;
  refillAmount: string;
  refillInterval: "" | RefillInterval;
  refillMode: RefillMode;
  networks: string;
  notBefore: string; // a datetime-local value, in the browser's zone
  metadata: string;
  allowSelfRotation: boolean;
}

/** A datetime-local value (local time, minutes) of a moment. */
export function localInput(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * Where the group starts: the token's policy when editing; for a new token
 * nothing, or, for a limited viewer, its own limits, credits and networks,
 * the loosest a token it makes may have.
 */
export function initialPolicy(session: Session, token?: TokenPolicy): PolicyState {
  const c = policyCeiling(session);
  const credits = token ? token.credits : c.credits ? { ...c.credits, refillAmount: null, refillInterval: null, refillMode: null } : null;
  return {
    limits: toRows(token ? token.rateLimits : c.limits),
    useCredits: !!credits,
    remaining: credits ? String(credits.remaining) : "",
    refillAmount: credits?.refillAmount ? String(credits.refillAmount) : "",
    refillInterval: credits?.refillInterval ?? "",
    refillMode: credits?.refillMode ?? "RESET",
    networks: (token ? token.allowedNetworks : c.networks).join("\n"),
    notBefore: token?.notBefore ? localInput(token.notBefore) : "",
    metadata: token?.metadata && Object.keys(token.metadata).length ? JSON.stringify(token.metadata, null, 2) : "",
    allowSelfRotation: token?.allowSelfRotation ?? false,
  };
}

// ---- What the state means ----

function credits(s: PolicyState): Credits | null {
  if (!s.useCredits) return null;
  const refill = s.refillInterval !== "";
  return {
    remaining: wholeNumber(s.remaining) ?? 0,
    refillAmount: refill ? wholeNumber(s.refillAmount) : null,
    refillInterval: refill ? s.refillInterval || null : null,
    refillMode: refill ? s.refillMode : null,
  };
}

/** The group's fields for the API, by input field. */
function inputs(s: PolicyState): Record<string, unknown> {
  const c = credits(s);
  return {
    rateLimits: fromRows(s.limits),
    credits: c && {
      remaining: c.remaining,
      ...(c.refillInterval ? { refillAmount: c.refillAmount, refillInterval: c.refillInterval, refillMode: c.refillMode } : {}),
    },
    allowedNetworks: lines(s.networks),
    notBefore: s.notBefore ? new Date(s.notBefore).toISOString() : null,
    metadata: s.metadata.trim() ? JSON.parse(s.metadata) : {},
    allowSelfRotation: s.allowSelfRotation,
  };
}

/**
 * What to send: on create, what is set; on edit, only what changed from
 * where the form started (setting credits again would start a new balance).
 */
export function policyInput(s: PolicyState, start: PolicyState | null): Record<string, unknown> {
  const now = inputs(s);
  if (!start) {
    const out: Record<string, unknown> = {};
    if ((now.rateLimits as RateLimit[]).length) out.rateLimits = now.rateLimits;
    if (now.credits) out.credits = now.credits;
    if ((now.allowedNetworks as string[]).length) out.allowedNetworks = now.allowedNetworks;
    if (now.notBefore) out.notBefore = now.notBefore;
    if (Object.keys(now.metadata as object).length) out.metadata = now.metadata;
    if (now.allowSelfRotation) out.allowSelfRotation = true;
    return out;
  }
  const before = inputs(start);
  return Object.fromEntries(Object.entries(now).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k])));
}

// ---- The form's check, labels and sentences ----

export const policyLabels: Record<string, string> = {
  rateLimits: "Rate limits",
  credits: "Credits",
  "credits.remaining": "Credits left",
  "credits.refillInterval": "Refill",
  "credits.refillAmount": "Refill amount",
  "credits.refillMode": "Refill mode",
  allowedNetworks: "Allowed networks",
  notBefore: "Not before",
  metadata: "Metadata",
  allowSelfRotation: "Self-rotation",
};

/** The browser's check of one of the group's fields: its own rules, then the viewer's ceiling. */
export function policyCheck(field: string, s: PolicyState, session: Session): string {
  const c = policyCeiling(session);
  switch (field) {
    case "rateLimits":
      return checkRateLimits(s.limits) || limitsRefusal(c, fromRows(s.limits));
    case "credits":
      return s.useCredits ? "" : creditsRefusal(c, null);
    case "credits.remaining": {
      if (!s.useCredits) return "";
      const n = wholeNumber(s.remaining);
      if (n === null) return "Enter how many credits the token starts with: a whole number, 0 or more.";
      const max = creditsMax(c);
      if (max !== null && n > max) return creditsRefusal(c, credits(s));
      return "";
    }
    case "credits.refillAmount": {
      if (!s.useCredits || s.refillInterval === "") return "";
      const n = wholeNumber(s.refillAmount);
      if (n === null || n < 1) return "Enter how many credits each refill gives: a whole number, 1 or more.";
      return creditsRefusal(c, credits(s));
    }
    case "allowedNetworks":
      return checkNetworks(lines(s.networks)) || networksRefusal(c, lines(s.networks));
    case "notBefore":
      return s.notBefore && isNaN(new Date(s.notBefore).getTime()) ? "Choose a date and a time, or leave it empty." : "";
    case "metadata":
      return checkMetadata(s.metadata);
    case "allowSelfRotation":
      return s.allowSelfRotation ? selfRotationRefusal(session) : "";
  }
  return "";
}

/** What the server's refusals of the group mean, worded from the ceiling. */
export function policySentences(s: PolicyState, session: Session): Record<string, Sentence> {
  const c = policyCeiling(session);
  return {
    "FORBIDDEN:rateLimits": () =>
      limitsRefusal(c, fromRows(s.limits)) || "Your token’s rate limits are stricter than these (its persona’s count too): give the token a limit at least as strict as each of yours.",
    "FORBIDDEN:credits": () => creditsRefusal(c, credits(s)) || "Your token may not give this many credits, or this refill.",
    "FORBIDDEN:allowedNetworks": () => networksRefusal(c, lines(s.networks)) || "These networks are wider than your token’s own.",
    "FORBIDDEN:allowSelfRotation": () => selfRotationRefusal(session) || "Your token may not let a token roll its own secret.",
  };
}

/** Whether the group holds something, so that it opens by itself. */
export function policyInUse(s: PolicyState): boolean {
  return s.limits.length > 0 || s.useCredits || !!s.networks.trim() || !!s.notBefore || !!s.metadata.trim() || s.allowSelfRotation;
}

// ---- The form's group ----

export function PolicyFields(props: { state: PolicyState; set: (s: PolicyState) => void; errors: FormErrors; session: Session; open: boolean; onToggle: (open: boolean) => void }) {
  const { state: s, errors, session } = props;
  const c = policyCeiling(session);
  const set = (field: string, change: Partial<PolicyState>) => {
    errors.edited(field);
    props.set({ ...s, ...change });
  };
  const rotationRefusal = selfRotationRefusal(session);
  const max = creditsMax(c);
  const ownRefill = c.credits?.refillAmount ? c.credits : null;
  const offset = utcOffset(s.notBefore ? new Date(s.notBefore) : new Date());
  return (
    <details class="policy-group" open={props.open} onToggle={(e) => props.onToggle((e.currentTarget as HTMLDetailsElement).open)} data-testid="policy-group">
      <summary>
        Limits and conditions <span class="hint">rate limits, credits, networks, a start time, metadata</span>
      </summary>

      <RateLimitsField
        hint="At most a number of requests per period; windows start at round times (UTC). Its persona’s limits apply as well."
        ceiling={c.limits.length > 0 ? `Your token is limited to ${c.limits.map(limitText).join(", ")}, so a token you make needs limits at least as strict.` : ""}
        rows={s.limits}
        onRows={(limits) => set("rateLimits", { limits })}
        errors={errors}
      />

      <fieldset class="fieldset" data-field="credits">
        <legend>Credits</legend>
        <label class="checkbox">
          <input
            type="checkbox"
            name="use-credits"
            checked={s.useCredits}
            disabled={!!c.credits && s.useCredits}
            onChange={(e) => set("credits", { useCredits: (e.target as HTMLInputElement).checked })}
          />{" "}
          Limit uses with credits: each request spends one, and at none left requests are refused
        </label>
        {c.credits && (
          <p class="hint refusal" data-refusal="credits">
            Your token has credits ({c.credits.remaining.toLocaleString("en")} left
            {ownRefill ? `, refilled with ${ownRefill.refillAmount} ${ownRefill.refillInterval === "DAILY" ? "a day" : "a month"}` : ", never refilled"}), so a
            token you make needs credits, no more than that.
          </p>
        )}
        {s.useCredits && (
          <div class="grid-3">
            <FormField
              label="Credits left"
              name="credits.remaining"
              control="credits-remaining"
              errors={errors}
              type="number"
              min="0"
              max={max !== null ? String(max) : undefined}
              value={s.remaining}
              onValue={(v) => set("credits.remaining", { remaining: v })}
            />
            <FormField
              label="Refill"
              name="credits.refillInterval"
              control="credits-interval"
              errors={errors}
              value={s.refillInterval}
              onValue={(v) => set("credits.refillAmount", { refillInterval: v as PolicyState["refillInterval"] })}
              options={[
                <option value="">Never</option>,
                <option value="DAILY" disabled={!!c.credits && !ownRefill}>
                  Every day (00:00 UTC)
                </option>,
                <option value="MONTHLY" disabled={!!c.credits && !ownRefill}>
                  On the 1st of every month
                </option>,
              ]}
              hint={c.credits && !ownRefill ? "Your token’s credits never refill, so neither may these." : undefined}
            />
            {s.refillInterval !== "" && (
              <>
                <FormField
                  label="Refill amount"
                  name="credits.refillAmount"
                  control="credits-refill"
                  errors={errors}
                  type="number"
                  min="1"
                  value={s.refillAmount}
                  onValue={(v) => set("credits.refillAmount", { refillAmount: v })}
                />
                <FormField
                  label="Refill mode"
                  name="credits.refillMode"
                  control="credits-mode"
                  errors={errors}
                  value={s.refillMode}
                  onValue={(v) => set("credits.refillMode", { refillMode: v as RefillMode })}
                  options={[
                    <option value="RESET">Reset to the amount (unused credits are lost)</option>,
                    <option value="ADD" disabled={!!c.credits && c.credits.refillMode !== "ADD"}>
                      Add the amount (unused credits carry over)
                    </option>,
                  ]}
                />
              </>
            )}
          </div>
        )}
        <GroupError text={errors.fields.credits} />
      </fieldset>

      <FormField
        label="Allowed networks"
        name="allowedNetworks"
        control="allowed-networks"
        errors={errors}
        rows={3}
        spellcheck={false}
        placeholder={"10.0.0.0/8\n2001:db8::/32"}
        hint={
          <>
            One CIDR or address per line, IPv4 or IPv6; empty: anywhere.
            {c.networks.length > 0 && (
              <span class="refusal" data-refusal="allowedNetworks">
                {" "}
                Your token may only be used from {c.networks.join(", ")}; each network must lie within them.
              </span>
            )}
          </>
        }
        value={s.networks}
        onValue={(v) => set("allowedNetworks", { networks: v })}
      />

      <FormField
        label="Not before"
        name="notBefore"
        control="not-before"
        errors={errors}
        type="datetime-local"
        hint={<>Before this time the token authenticates nothing. In your time zone, {offset}; empty: at once.</>}
        value={s.notBefore}
        onValue={(v) => set("notBefore", { notBefore: v })}
      />

      <FormField
        label="Metadata"
        name="metadata"
        errors={errors}
        rows={4}
        spellcheck={false}
        placeholder={'{"team": "billing"}'}
        hint="A JSON object of your own (at most 4096 bytes); gateways receive it with each verified request."
        value={s.metadata}
        onValue={(v) => set("metadata", { metadata: v })}
      />

      <div data-field="allowSelfRotation">
        <label class={"checkbox" + (rotationRefusal && !s.allowSelfRotation ? " radio-disabled" : "")}>
          <input
            type="checkbox"
            name="allow-self-rotation"
            checked={s.allowSelfRotation}
            disabled={!!rotationRefusal && !s.allowSelfRotation}
            onChange={(e) => set("allowSelfRotation", { allowSelfRotation: (e.target as HTMLInputElement).checked })}
          />{" "}
          Let the token roll its own secret (rotateViewerToken)
        </label>
        {rotationRefusal && !s.allowSelfRotation && (
          <p class="hint refusal" data-refusal="allowSelfRotation">
            {rotationRefusal}
          </p>
        )}
        <GroupError text={errors.fields.allowSelfRotation} />
      </div>
    </details>
  );
}
