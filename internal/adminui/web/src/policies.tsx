// Policies: the lifecycle policy on every token (longest lifetime, an
// expiry required, longest grace period, revoking unused tokens), changed
// only by a full-access token, and the active tokens that break it, each a
// link to its page.
import { useEffect, useState } from "preact/hooks";
import { APIToken, Connection, gql } from "./api";
import { message } from "./errors";
import { AppLink, Checkbox, ErrorBanner, FormField, Pager, useForm, useSession } from "./ui";
import { DataTable, Page, usePages } from "./page";
import { When, periodText } from "./dates";
import { StatusBadges } from "./tokens";
import { tokenPath } from "./nav";
import { pageDefaults, useQueryState } from "./urlstate";
import { checkWhole, problems, wholeNumber } from "./validate";

export interface Policy {
  maxLifetimeDays: number | null;
  requireExpiry: boolean;
  maxGracePeriodSeconds: number;
  revokeUnusedAfterDays: number | null;
}

type Violator = APIToken & { lastUsedAt: string | null };

const policyFields = `maxLifetimeDays requireExpiry maxGracePeriodSeconds revokeUnusedAfterDays`;
const policyQuery = `query Policy { policy { ${policyFields} } }`;
const updatePolicy = `mutation UpdatePolicy($input: UpdatePolicyInput!) { updatePolicy(input: $input) { ${policyFields} } }`;
const violationsQuery = `query PolicyViolations($first: Int, $after: Cursor, $last: Int, $before: Cursor) {
  policyViolations(first: $first, after: $after, last: $last, before: $before, orderBy: {field: NAME, direction: ASC}) {
    totalCount pageInfo { hasNextPage startCursor endCursor }
    edges { node { id name code type status hint expiresAt lastUsedAt createdAt permissions { contentType action } } } } }`;

/** The server's bounds (internal/admin/policy.go). */
const maxDays = 36500;
const maxGrace = 7 * 86400;
const day = 86400e3;

/** Why a token breaks the policy, in words (the server's ViolatesPolicy, clause by clause). */
export function violationReasons(t: Violator, p: Policy, now = Date.now()): string[] {
  const out: string[] = [];
  if (!t.expiresAt && (p.requireExpiry || p.maxLifetimeDays !== null)) out.push("Never expires");
  if (t.expiresAt && p.maxLifetimeDays !== null && new Date(t.expiresAt).getTime() > now + p.maxLifetimeDays * day)
    out.push(`Expires more than ${p.maxLifetimeDays} days ahead`);
  if (p.revokeUnusedAfterDays !== null) {
    const since = new Date(t.lastUsedAt ?? t.createdAt).getTime();
    if (since < now - p.revokeUnusedAfterDays * day) out.push(t.lastUsedAt ? `Unused for over ${p.revokeUnusedAfterDays} days` : "Never used");
  }
  if (out.length === 0) out.push("Its previous secret works longer than the longest grace period");
  return out;
}

const listDefaults = { ...pageDefaults };

export function PoliciesPage() {
  const session = useSession();
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [loadError, setLoadError] = useState("");
  const [reload, setReload] = useState(0);
  useEffect(() => {
    setLoadError("");
    gql<{ policy: Policy }>(policyQuery)
      .then((d) => setPolicy(d.policy))
      .catch((e) => setLoadError(message(e)));
  }, [reload]);
  const [q, setQ] = useQueryState(listDefaults);
  const {
    data,
    items: violators,
    error,
    pager,
    busy,
    retry,
  } = usePages<Violator>(
    (req) => gql<{ policyViolations: Connection<Violator> }>(violationsQuery, { ...req }).then((d) => d.policyViolations),
    q,
    setQ,
    [policy],
  );
  const mayEdit = session.viewer.apiToken.type === "FULL_ACCESS";
  return (
    <Page
      id="policies-title"
      title="Policies"
      intro={
        <>
          The lifecycle policy holds for every token: Latchkey refuses a create, edit or regenerate that breaks it, and revokes tokens
          left unused too long. Tokens made before a rule changed may break it; they are listed below.
        </>
      }
    >
      <ErrorBanner text={loadError} onRetry={loadError ? () => setReload((n) => n + 1) : undefined} />
      {policy ? (
        mayEdit ? (
          <PolicyForm key={JSON.stringify(policy)} policy={policy} onSaved={(p) => setPolicy(p)} />
        ) : (
          <PolicyFacts policy={policy} />
        )
      ) : (
        !loadError && (
          <p class="card muted" aria-busy="true">
            Loading the policy…
          </p>
        )
      )}
      <h2 id="violations-title" class="section-title">
        Tokens that break the policy
      </h2>
      <ErrorBanner text={error} onRetry={error ? retry : undefined} />
      {data && data.totalCount === 0 ? (
        <div class="empty card" data-testid="no-violations">
          <p>Every active token keeps the policy.</p>
        </div>
      ) : (
        <DataTable
          head={["Token", "Why", "Status", { label: "Expires", priority: 2 }, { label: "Last used", priority: 3 }]}
          labelledBy="violations-title"
          busy={busy}
          loading={!data}
          class="violations-table"
        >
          {violators.map((t) => (
            <tr key={t.id} data-violator={t.name}>
              <td data-label="Token" class="card-title">
                <AppLink class="token-name" href={tokenPath(t.id)}>
                  {t.name}
                </AppLink>
                <code class="token-code">{t.code}</code>
              </td>
              <td data-label="Why" data-testid="violation-reason">
                {policy ? violationReasons(t, policy).join("; ") : ""}
              </td>
              <td data-label="Status">
                <StatusBadges token={t} />
              </td>
              <td data-label="Expires" data-priority={2}>
                <When iso={t.expiresAt} empty="Never" />
              </td>
              <td data-label="Last used" data-priority={3}>
                <When iso={t.lastUsedAt} empty="Never" />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {pager && data && data.totalCount > 0 && <Pager {...pager} noun="token" top="violations-title" />}
    </Page>
  );
}

/** The policy as text, for a viewer that may not change it. */
function PolicyFacts(props: { policy: Policy }) {
  const p = props.policy;
  return (
    <section class="card policy-card" aria-labelledby="policy-facts-title">
      <h2 id="policy-facts-title">Lifecycle policy</h2>
      <dl class="facts">
        <div class="fact">
          <dt>Longest lifetime</dt>
          <dd data-testid="policy-max-lifetime">{p.maxLifetimeDays === null ? "No limit" : `${p.maxLifetimeDays} days`}</dd>
        </div>
        <div class="fact">
          <dt>Expiry required</dt>
          <dd>{p.requireExpiry ? "Yes" : "No"}</dd>
        </div>
        <div class="fact">
          <dt>Longest grace period</dt>
          <dd>{p.maxGracePeriodSeconds === 0 ? "None" : periodText(p.maxGracePeriodSeconds, true)}</dd>
        </div>
        <div class="fact">
          <dt>Revoke unused tokens after</dt>
          <dd>{p.revokeUnusedAfterDays === null ? "Never" : `${p.revokeUnusedAfterDays} days`}</dd>
        </div>
      </dl>
      <p class="refusal" data-refusal="policy">
        Only a full-access token may change the policy; yours is not.
      </p>
    </section>
  );
}

const str = (n: number | null) => (n === null ? "" : String(n));

/** The policy's form; saved, it hands the server's answer back. */
function PolicyForm(props: { policy: Policy; onSaved: (p: Policy) => void }) {
  const session = useSession();
  const p = props.policy;
  const [maxLifetime, setMaxLifetime] = useState(str(p.maxLifetimeDays));
  const [requireExpiry, setRequireExpiry] = useState(p.requireExpiry);
  const [grace, setGrace] = useState(String(p.maxGracePeriodSeconds));
  const [unused, setUnused] = useState(str(p.revokeUnusedAfterDays));
  const labels = {
    maxLifetimeDays: "Longest lifetime in days",
    maxGracePeriodSeconds: "Longest grace period in seconds",
    revokeUnusedAfterDays: "Revoke unused tokens after days",
  };
  const check = (f: string) =>
    f === "maxLifetimeDays"
      ? checkWhole("longest lifetime", maxLifetime, 1, maxDays, true)
      : f === "maxGracePeriodSeconds"
        ? checkWhole("longest grace period", grace, 0, maxGrace, false)
        : f === "revokeUnusedAfterDays"
          ? checkWhole("number of days", unused, 1, maxDays, true)
          : "";
  const form = useForm({
    labels,
    check,
    validate: () => problems(Object.fromEntries(Object.keys(labels).map((f) => [f, check(f)]))),
    sentences: { FORBIDDEN: "Only a full-access token may change the policy." },
    save: async () => {
      const d = await gql<{ updatePolicy: Policy }>(updatePolicy, {
        input: {
          maxLifetimeDays: wholeNumber(maxLifetime),
          requireExpiry,
          maxGracePeriodSeconds: wholeNumber(grace),
          revokeUnusedAfterDays: wholeNumber(unused),
        },
      });
      session.notify("Policy saved.");
      form.setBusy(false);
      props.onSaved(d.updatePolicy);
    },
  });
  const graceN = wholeNumber(grace);
  return (
    <form class="card policy-card" ref={form.formRef} onSubmit={form.submit} noValidate aria-labelledby="policy-form-title" data-testid="policy-form">
      <h2 id="policy-form-title">Lifecycle policy</h2>
      <ErrorBanner text={form.errors.general} />
      <div class="grid-2">
        <FormField
          label="Longest lifetime (days)"
          name="maxLifetimeDays"
          errors={form.errors}
          hint="No token may get an expiry further ahead than this. Empty: no limit."
          value={maxLifetime}
          onValue={setMaxLifetime}
          type="text"
          placeholder="No limit"
        />
        <FormField
          label="Revoke unused tokens after (days)"
          name="revokeUnusedAfterDays"
          errors={form.errors}
          hint="Tokens not used for this long (never used: since made) are revoked by a background sweep. Empty: never."
          value={unused}
          onValue={setUnused}
          type="text"
          placeholder="Never"
        />
        <FormField
          label="Longest grace period (seconds)"
          name="maxGracePeriodSeconds"
          errors={form.errors}
          hint={
            "How long an old secret may keep working after a regenerate; at most 604800 (7 days)." +
            (graceN !== null && graceN > 0 ? ` Now: ${periodText(graceN, true)}.` : "")
          }
          value={grace}
          onValue={setGrace}
          type="text"
        />
        <div class="field">
          <Checkbox checked={requireExpiry} onChange={setRequireExpiry}>
            Every token must have an expiry
          </Checkbox>
          <p class="hint">Tokens that never expire are refused on create and edit.</p>
        </div>
      </div>
      <div class="form-actions">
        <button type="submit" class="button primary" disabled={form.busy} data-testid="save-policy">
          Save policy
        </button>
      </div>
    </form>
  );
}
