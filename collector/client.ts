/**
 * Typed HTTP client for the collector's query API. Used by the evaluator, the optimizer and the
 * UI, so it depends only on the wire types and the global `fetch` (no Node imports).
 */
import type {
  ApiErrorBody,
  BudgetList,
  Chargeback,
  ChargebackQuery,
  DecisionList,
  FailureClusterList,
  ListDecisionsQuery,
  ListFailureClustersQuery,
  ListRequestsQuery,
  ListScoresQuery,
  ListSessionsQuery,
  Me,
  PostScoresResult,
  RequestList,
  RouteStats,
  RouteStatsQuery,
  RoutingDecision,
  RoutingDecisionInput,
  ScoreInput,
  ScoreList,
  SessionDetail,
  SessionList,
  TenantList,
  Trace,
} from './api/types.ts'
import type {
  AdminKeyList,
  CreateKeyRequest,
  CreatedKey,
  KeyAuditEntry,
  LimitsRequest,
  AdminKey,
  AdminTenant,
  RoutingAuditEntry,
  RoutingRoute,
  RoutingTableView,
  TenantKeyList,
} from '../lib/admin-api.ts'

export type * from './api/types.ts'
export type * from '../lib/admin-api.ts'

/** A non-2xx answer: `status` is the HTTP status, `message` the API's explanation, `field` the bad field if any. */
export class CollectorApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message)
    this.name = 'CollectorApiError'
  }
}

export interface CollectorClientOptions {
  /** The collector's base URL, e.g. `http://127.0.0.1:4318` (without `/api`); '' for same-origin in a browser. */
  baseUrl: string
  /** Admin token or tenant read key. */
  token: string
  fetch?: typeof fetch
}

/** A repeated parameter (`model=a&model=b`) is an array. */
type Query = Record<string, string | number | readonly (string | number)[] | undefined>

/** ns string → Date (millisecond precision), for display. */
export const nsToDate = (ns: string): Date => new Date(Number(BigInt(ns) / 1_000_000n))

export class CollectorClient {
  private readonly baseUrl: string
  private readonly token: string
  private readonly fetchImpl: typeof fetch

  constructor(options: CollectorClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.token = options.token
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  }

  getTrace(traceId: string, options: { tenant?: string } = {}): Promise<Trace> {
    return this.json('GET', `/api/traces/${encodeURIComponent(traceId)}`, options)
  }

  listSessions(query: ListSessionsQuery = {}): Promise<SessionList> {
    return this.json('GET', '/api/sessions', { ...query })
  }

  /** The request log: every LLM call, newest first; name filters take several values. */
  listRequests(query: ListRequestsQuery = {}): Promise<RequestList> {
    return this.json('GET', '/api/requests', { ...query })
  }

  getSession(sessionId: string, options: { tenant?: string } = {}): Promise<SessionDetail> {
    return this.json('GET', `/api/sessions/${encodeURIComponent(sessionId)}`, options)
  }

  chargeback(query: ChargebackQuery = {}): Promise<Chargeback> {
    return this.json('GET', '/api/chargeback', { ...query, format: 'json' })
  }

  /** The same report as CSV (header, one line per row, a TOTAL line). */
  async chargebackCsv(query: ChargebackQuery = {}): Promise<string> {
    const res = await this.request('GET', '/api/chargeback', { ...query, format: 'csv' })
    return res.text()
  }

  /** One score or a batch; idempotent by `score_id`. */
  postScores(scores: ScoreInput | ScoreInput[]): Promise<PostScoresResult> {
    return this.json('POST', '/api/scores', {}, Array.isArray(scores) ? { scores } : scores)
  }

  listScores(query: ListScoresQuery = {}): Promise<ScoreList> {
    return this.json('GET', '/api/scores', { ...query })
  }

  /** Failing scores grouped by scorer and reason template. */
  failureClusters(query: ListFailureClustersQuery = {}): Promise<FailureClusterList> {
    return this.json('GET', '/api/failure-clusters', { ...query })
  }

  /** The calling key: admin or tenant, its id, whether it may post scores. */
  me(): Promise<Me> {
    return this.json('GET', '/api/me', {})
  }

  routeStats(query: RouteStatsQuery = {}): Promise<RouteStats> {
    return this.json('GET', '/api/route-stats', { ...query })
  }

  postDecision(decision: RoutingDecisionInput): Promise<RoutingDecision> {
    return this.json('POST', '/api/routing-decisions', {}, decision)
  }

  listDecisions(query: ListDecisionsQuery = {}): Promise<DecisionList> {
    return this.json('GET', '/api/routing-decisions', { ...query })
  }

  tenants(): Promise<TenantList> {
    return this.json('GET', '/api/tenants', {})
  }

  /** Each configured budget the caller may see, with the current UTC day's or month's spend. */
  budgets(options: { tenant?: string } = {}): Promise<BudgetList> {
    return this.json('GET', '/api/budgets', options)
  }

  // ── admin: relayed to the gateway's admin API (admin token only; docs/ui.md › Admin) ──

  adminKeys(options: { tenant?: string } = {}): Promise<AdminKeyList> {
    return this.json('GET', '/api/admin/keys', options)
  }

  keyAudit(options: { limit?: number } = {}): Promise<{ entries: KeyAuditEntry[] }> {
    return this.json('GET', '/api/admin/keys/audit', options)
  }

  /** The answer holds the key's secret, once. */
  createKey(tenant: string, request: CreateKeyRequest): Promise<CreatedKey> {
    return this.json('POST', `/api/admin/tenants/${encodeURIComponent(tenant)}/keys`, {}, request)
  }

  revokeKey(
    tenant: string,
    keyId: string,
    meta: { reason?: string; author?: string } = {},
  ): Promise<{ key: AdminKey }> {
    return this.json(
      'POST',
      `/api/admin/tenants/${encodeURIComponent(tenant)}/keys/${encodeURIComponent(keyId)}/revoke`,
      {},
      meta,
    )
  }

  setKeyLimits(tenant: string, keyId: string, request: LimitsRequest): Promise<{ key: AdminKey }> {
    return this.json(
      'PUT',
      `/api/admin/tenants/${encodeURIComponent(tenant)}/keys/${encodeURIComponent(keyId)}/limits`,
      {},
      request,
    )
  }

  setTenantLimits(tenant: string, request: LimitsRequest): Promise<{ tenant: AdminTenant }> {
    return this.json('PUT', `/api/admin/tenants/${encodeURIComponent(tenant)}/limits`, {}, request)
  }

  routingTable(): Promise<RoutingTableView> {
    return this.json('GET', '/api/admin/routing', {})
  }

  /** A new table version (only weights of configured targets may change); 409 when `expectedVersion` is stale. */
  putRoutingTable(request: {
    routes: RoutingRoute[]
    expectedVersion?: number
    reason: string
    author?: string
  }): Promise<{ version: number; previousVersion: number }> {
    return this.json('PUT', '/api/admin/routing', {}, request)
  }

  routingAudit(options: { limit?: number } = {}): Promise<{ entries: RoutingAuditEntry[] }> {
    return this.json('GET', '/api/admin/routing/audit', options)
  }

  /** The caller's own keys (a tenant read key: its tenant's), read-only, with spend. */
  myKeys(options: { tenant?: string } = {}): Promise<TenantKeyList> {
    return this.json('GET', '/api/keys', options)
  }

  private async json<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const res = await this.request(method, path, query, body)
    return (await res.json()) as T
  }

  private async request(method: string, path: string, query: Query, body?: unknown): Promise<Response> {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (Array.isArray(v)) for (const item of v) params.append(k, String(item))
      else if (v !== undefined && v !== '') params.set(k, String(v))
    }
    const qs = params.toString()
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Response
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}${qs ? `?${qs}` : ''}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (err) {
      throw new CollectorApiError(0, `collector unreachable at ${this.baseUrl}: ${(err as Error).message}`)
    }
    if (!res.ok) {
      let message = `${method} ${path} failed with HTTP ${res.status}`
      let field: string | undefined
      try {
        const parsed = (await res.json()) as Partial<ApiErrorBody>
        if (parsed.error?.message) message = parsed.error.message
        field = parsed.error?.field
      } catch {
        // not JSON: keep the generic message
      }
      throw new CollectorApiError(res.status, message, field)
    }
    return res
  }
}
