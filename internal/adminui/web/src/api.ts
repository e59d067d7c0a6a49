// The GraphQL client: one POST per operation with the signed-in token.
// The token lives in sessionStorage only, so it leaves with the tab.

const storageKey = "latchkey.token";

export function getToken(): string | null {
  return sessionStorage.getItem(storageKey);
}

export function setToken(token: string): void {
  sessionStorage.setItem(storageKey, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(storageKey);
}

/** An error the server reported, with its extensions.code and, for input errors, the field at fault. */
export class APIError extends Error {
  constructor(
    message: string,
    public code: string,
    public field?: string,
    public status?: number,
  ) {
    super(message);
  }
}

type Listener = () => void;
let onUnauthenticated: Listener = () => {};

/** Called when the server refuses the token (expired, revoked, deleted). */
export function setUnauthenticatedHandler(l: Listener): void {
  onUnauthenticated = l;
}

export async function gql<T>(query: string, variables?: Record<string, unknown>, token = getToken()): Promise<T> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  let res: Response;
  try {
    res = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new APIError("Latchkey could not be reached. Check your connection and try again.", "NETWORK");
  }
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
  try {
    body = await res.json();
  } catch {
    throw new APIError(`Unexpected answer from the server (HTTP ${res.status}).`, "INTERNAL_SERVER_ERROR", undefined, res.status);
  }
  const err = body.errors?.[0];
  if (res.status === 401 || err?.extensions?.code === "UNAUTHENTICATED") {
    if (token === getToken()) onUnauthenticated();
    throw new APIError(err?.message ?? "Not signed in.", "UNAUTHENTICATED", undefined, res.status);
  }
  if (err) {
    throw new APIError(err.message, err.extensions?.code ?? "INTERNAL_SERVER_ERROR", err.extensions?.field, res.status);
  }
  if (!body.data) throw new APIError("The server answered without data.", "INTERNAL_SERVER_ERROR");
  return body.data;
}

// ---- Types of what the UI reads ----

export interface Permission {
  contentType: string;
  action: string;
}
export interface Persona {
  id: string;
  name: string;
  avatarURL: string;
  description?: string;
  externalID?: string | null;
  metadata?: Record<string, unknown> | null;
  rateLimits?: RateLimit[];
}
/** A rate limit of a token or a persona: at most limit requests per window of periodSeconds. */
export interface RateLimit {
  name: string;
  limit: number;
  periodSeconds: number;
}
export interface Role {
  id: string;
  name: string;
  description: string;
  permissions: Permission[];
}
export interface Action {
  name: string;
  readOnly: boolean;
}
export interface ContentType {
  id: string;
  uid: string;
  displayName: string;
  description: string;
  system: boolean;
  actions: Action[];
}
export type TokenType = "READ_ONLY" | "FULL_ACCESS" | "CUSTOM";
export type TokenStatus = "ACTIVE" | "EXPIRED" | "REVOKED";
export interface APIToken {
  id: string;
  name: string;
  code: string;
  description: string;
  type: TokenType;
  status: TokenStatus;
  hint: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  persona?: Persona;
  roles?: { id: string; name: string }[] | null;
  permissions: Permission[];
  // Present when the document asked for them (policyFields).
  rateLimits?: RateLimit[];
  credits?: Credits | null;
  allowedNetworks?: string[];
  notBefore?: string | null;
  metadata?: Record<string, unknown> | null;
  allowSelfRotation?: boolean;
}
export interface Viewer {
  apiToken: {
    id: string;
    name: string;
    type: TokenType;
    expiresAt: string | null;
    // Its own policy: what a token it makes may not exceed (ceiling.ts).
    rateLimits?: RateLimit[];
    credits?: Credits | null;
    allowedNetworks?: string[];
  };
  persona: Persona & { rateLimits?: RateLimit[] };
  permissions: Permission[];
}

// ---- A token's policy (schema/tokenpolicy.graphql) ----

export type RefillInterval = "DAILY" | "MONTHLY";
export type RefillMode = "RESET" | "ADD";
export interface Credits {
  remaining: number;
  refillAmount: number | null;
  refillInterval: RefillInterval | null;
  refillMode: RefillMode | null;
  lastRefillAt?: string | null;
}
/** What the form edits of a token's policy, besides its permissions. */
export interface TokenPolicy {
  rateLimits: RateLimit[];
  credits: Credits | null;
  allowedNetworks: string[];
  notBefore: string | null;
  metadata: Record<string, unknown> | null;
  allowSelfRotation: boolean;
}
export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
  startCursor?: string | null;
}
export interface Connection<T> {
  totalCount: number;
  pageInfo: PageInfo;
  edges: { node: T }[] | null;
}

export function nodes<T>(c: Connection<T>): T[] {
  return (c.edges ?? []).map((e) => e.node).filter(Boolean);
}

// ---- Documents ----

// A token's persona and roles are records of their own: the server only
// shows them to a viewer that may read personas and roles, so the documents
// ask for them only then (see readable).
const tokenFields = `id name code description type status hint expiresAt lastUsedAt createdAt
  persona @include(if: $withPersona) { id name avatarURL } roles @include(if: $withRoles) { id name }
  permissions { contentType action }`;
const limitFields = `name limit periodSeconds`;
/** A token's policy: its limits, credits, conditions and metadata. */
const policyFields = `rateLimits { ${limitFields} } credits { remaining refillAmount refillInterval refillMode lastRefillAt }
  allowedNetworks notBefore metadata allowSelfRotation`;
const usageCounts = `allowed forbidden rateLimited usageExceeded ipRefused notYetValid requests`;
const auditFields = `id createdAt action actorTokenID actorTokenName actorPersonaName targetType targetID targetName clientIP changes`;
const readableVars = `$withPersona: Boolean = false, $withRoles: Boolean = false`;

/** The variables that let token documents ask for what the viewer may read. */
export function readable(can: (contentType: string, action: string) => boolean) {
  return { withPersona: can("persona", "read"), withRoles: can("role", "read") };
}

export const Q = {
  viewer: `query Viewer { viewer { apiToken { id name type expiresAt rateLimits { ${limitFields} }
    credits { remaining refillAmount refillInterval refillMode } allowedNetworks }
    persona { id name avatarURL rateLimits { ${limitFields} } } permissions { contentType action } } }`,
  tokens: `query Tokens($first: Int, $after: Cursor, $last: Int, $before: Cursor, $orderBy: APITokenOrder, $where: APITokenWhereInput,
      $pinnedWhere: APITokenWhereInput, $withPinned: Boolean = false, ${readableVars}) {
    apiTokens(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, where: $where) {
      totalCount pageInfo { hasNextPage startCursor endCursor } edges { node { ${tokenFields} } } }
    pinned: apiTokens(first: 20, where: $pinnedWhere) @include(if: $withPinned) { edges { node { ${tokenFields} } } } }`,
  createToken: `mutation CreateToken($input: CreateAPITokenInput!, ${readableVars}) {
    createAPIToken(input: $input) { secret apiToken { ${tokenFields} } } }`,
  updateToken: `mutation UpdateToken($id: ID!, $input: UpdateAPITokenInput!, ${readableVars}) {
    updateAPIToken(id: $id, input: $input) { ${tokenFields} ${policyFields} } }`,
  // What the edit form starts from besides the list's fields.
  tokenPolicy: `query TokenPolicy($id: ID!) { node(id: $id) { ... on APIToken { id ${policyFields} } } }`,
  regenerateToken: `mutation RegenerateToken($id: ID!, $grace: Int, ${readableVars}) {
    regenerateAPIToken(id: $id, gracePeriodSeconds: $grace) { secret apiToken { ${tokenFields} } } }`,
  revokeToken: `mutation RevokeToken($id: ID!) { revokeAPIToken(id: $id) { id status } }`,
  restoreToken: `mutation RestoreToken($id: ID!) { restoreAPIToken(id: $id) { id status } }`,
  deleteToken: `mutation DeleteToken($id: ID!) { deleteAPIToken(id: $id) }`,
  tokenNames: `query TokenNames { apiTokens(first: 500, orderBy: {field: NAME, direction: ASC}) { edges { node { id name } } } }`,

  roles: `query Roles { roles(first: 500, orderBy: {field: NAME, direction: ASC}) {
    totalCount edges { node { id name description permissions { contentType action } } } } }`,
  createRole: `mutation CreateRole($input: CreateRoleInput!) { createRole(input: $input) { id } }`,
  updateRole: `mutation UpdateRole($id: ID!, $input: UpdateRoleInput!) { updateRole(id: $id, input: $input) { id } }`,
  deleteRole: `mutation DeleteRole($id: ID!, $detach: Boolean) { deleteRole(id: $id, detach: $detach) }`,

  // A page of personas, each with its first tokens when the viewer may read them.
  personas: `query Personas($first: Int, $after: Cursor, $last: Int, $before: Cursor, $where: PersonaWhereInput, $orderBy: PersonaOrder,
      $withTokens: Boolean = false) {
    personas(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {
      totalCount pageInfo { hasNextPage startCursor endCursor }
      edges { node { id name avatarURL description createdAt externalID metadata rateLimits { name limit periodSeconds }
        tokens(first: 5, orderBy: {field: NAME, direction: ASC}) @include(if: $withTokens) { totalCount edges { node { id name status } } } } } } }`,
  personaSearch: `query PersonaSearch($first: Int, $where: PersonaWhereInput, $withTokens: Boolean = false) {
    personas(first: $first, where: $where, orderBy: {field: NAME, direction: ASC}) {
      totalCount edges { node { id name avatarURL tokens @include(if: $withTokens) { totalCount } } } } }`,
  persona: `query Persona($id: ID!, $withTokens: Boolean = false) { node(id: $id) { ... on Persona { id name avatarURL
    tokens @include(if: $withTokens) { totalCount } } } }`,
  createPersona: `mutation CreatePersona($input: CreatePersonaInput!) { createPersona(input: $input) { id } }`,
  updatePersona: `mutation UpdatePersona($id: ID!, $input: UpdatePersonaInput!) { updatePersona(id: $id, input: $input) { id } }`,
  deletePersona: `mutation DeletePersona($id: ID!) { deletePersona(id: $id) }`,

  contentTypes: `query ContentTypes { contentTypes(first: 500, orderBy: {field: UID, direction: ASC}) {
    totalCount edges { node { id uid displayName description system actions { name readOnly } } } } }`,
  createContentType: `mutation CreateContentType($input: CreateContentTypeInput!) { createContentType(input: $input) { id } }`,
  updateContentType: `mutation UpdateContentType($id: ID!, $input: UpdateContentTypeInput!, $detach: Boolean) {
    updateContentType(id: $id, input: $input, detach: $detach) { id } }`,
  deleteContentType: `mutation DeleteContentType($id: ID!, $detach: Boolean) { deleteContentType(id: $id, detach: $detach) }`,

  tokenDetail: `query TokenDetail($id: ID!, $target: String!, $withAudit: Boolean = false, $withCatalog: Boolean = false,
      $withWebhooks: Boolean = false, ${readableVars}) {
    node(id: $id) { ... on APIToken { ${tokenFields} updatedAt lastUsedIP effectivePermissions { contentType action } createdBy { id name }
      ${policyFields} personaPolicy: persona @include(if: $withPersona) { externalID rateLimits { ${limitFields} } }
      events(first: 10) { id type createdAt deliveries { id status attempts lastResponseCode lastError deliveredAt createdAt
        endpoint @include(if: $withWebhooks) { id url } } } } }
    changes: auditEvents(first: 20, where: {targetID: $target}, orderBy: {field: CREATED_AT, direction: DESC}) @include(if: $withAudit) {
      totalCount edges { node { ${auditFields} } } }
    acts: auditEvents(first: 20, where: {actorTokenID: $target}, orderBy: {field: CREATED_AT, direction: DESC}) @include(if: $withAudit) {
      totalCount edges { node { ${auditFields} } } }
    contentTypes(first: 500, orderBy: {field: UID, direction: ASC}) @include(if: $withCatalog) { edges { node { id uid displayName } } } }`,

  // A token's verifications by outcome, one point per bucket.
  tokenUsage: `query TokenUsage($id: ID!, $from: Time!, $to: Time!, $interval: UsageInterval!) {
    node(id: $id) { ... on APIToken { id usage(from: $from, to: $to, interval: $interval) {
      points { at counts { ${usageCounts} } } total { ${usageCounts} } } } } }`,

  auditEvents: `query AuditEvents($first: Int, $after: Cursor, $last: Int, $before: Cursor, $where: AuditEventWhereInput) {
    auditEvents(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: {field: CREATED_AT, direction: DESC}) {
      totalCount pageInfo { hasNextPage startCursor endCursor }
      edges { node { ${auditFields} } } } }`,
};
