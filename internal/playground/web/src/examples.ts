// The operations the playground opens with, one tab each (GraphiQL names a
// tab after its operation): the main tasks of Latchkey's API, ready to run
// with their variables filled in.

export interface Example {
  query: string;
  variables?: Record<string, unknown>;
}

const json = (v: Record<string, unknown>) => JSON.stringify(v, null, 2);

/** The 24 hours up to the current hour's end, in whole hours. */
function lastDay(): { from: string; to: string } {
  const to = new Date();
  to.setUTCMinutes(0, 0, 0);
  to.setUTCHours(to.getUTCHours() + 1);
  const from = new Date(to.getTime() - 24 * 3600e3);
  return { from: from.toISOString(), to: to.toISOString() };
}

export const examples: Example[] = [
  {
    query: `# Welcome to Latchkey's GraphQL playground.
#
# Opened from the admin, requests use its sign-in (see the bar above);
# otherwise paste an API token after "Bearer " in the Headers tab below.
# Run with the ▶ button or Ctrl+Enter. Each tab above holds an example of
# a main task; the Docs button on the left shows the whole schema.

query WhoAmI {
  viewer {
    apiToken { name type expiresAt }
    persona { name }
    permissions { contentType action }
  }
}
`,
  },
  {
    query: `# List and filter tokens: a page of tokens, newest first. Filters go in
# "where" (see APITokenWhereInput in the Docs): part of the name, type,
# status, persona, role, or a whole secret. Page on with after: endCursor.

query ListTokens($where: APITokenWhereInput, $after: Cursor) {
  apiTokens(first: 20, after: $after, where: $where, orderBy: {field: CREATED_AT, direction: DESC}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id name type status hint expiresAt lastUsedAt
        persona { name }
      }
    }
  }
}
`,
    variables: { where: { nameContainsFold: "deploy", status: "ACTIVE" } },
  },
  {
    query: `# Create a CUSTOM token: it may do what its roles and its own permissions
# allow, nothing else. The secret is in this answer only; store it now.

mutation CreateCustomToken($input: CreateAPITokenInput!) {
  createAPIToken(input: $input) {
    secret
    apiToken {
      id name type hint expiresAt
      permissions { contentType action }
      effectivePermissions { contentType action }
    }
  }
}
`,
    variables: {
      input: {
        name: "Billing export",
        type: "CUSTOM",
        lifespan: "DAYS_30",
        permissions: [
          { contentType: "api-token", action: "read" },
          { contentType: "audit-event", action: "read" },
        ],
      },
    },
  },
  {
    query: `# Regenerate with a grace period: the token gets a new secret (shown once,
# here), and the old one keeps working for gracePeriodSeconds, so that
# clients can switch without an outage. Put a token's id (from ListTokens)
# in the variables.

mutation RegenerateWithGrace($id: ID!, $gracePeriodSeconds: Int) {
  regenerateAPIToken(id: $id, gracePeriodSeconds: $gracePeriodSeconds) {
    secret
    apiToken { id name hint }
  }
}
`,
    variables: { id: "tok_…", gracePeriodSeconds: 3600 },
  },
  {
    query: `# Check a permission: may the token of this request do an action on a
# content type? Services ask this (or GET /auth/verify) before acting.

query CheckPermission($contentType: String!, $action: String!) {
  authorize(contentType: $contentType, action: $action)
}
`,
    variables: { contentType: "api-token", action: "revoke" },
  },
  {
    query: `# Usage series: a token's verifications by outcome, per hour over a day,
# with the totals. Put a token's id (from ListTokens) and a period in the
# variables.

query TokenUsage($id: ID!, $from: Time!, $to: Time!) {
  node(id: $id) {
    ... on APIToken {
      name
      usage(from: $from, to: $to, interval: HOUR) {
        total { allowed forbidden }
        points { at counts { allowed } }
      }
    }
  }
}
`,
    variables: { id: "tok_…", ...lastDay() },
  },
];

/** The tabs, each with the headers editor ready for a token. */
export function exampleTabs(headers: string) {
  return examples.map((e) => ({ query: e.query, variables: e.variables ? json(e.variables) : null, headers }));
}
