import type { QueryClient } from '@tanstack/react-query'
import type { CollectorClient, ListRequestsQuery, ListSessionsQuery } from './client.ts'
import { resolveRange, toApiTime } from '../lib/time-range.ts'

export const SESSIONS_PAGE_SIZE = 50

/** The sessions list query for the URL's filters (shared by the page and the prefetch below). */
export function sessionsListQuery(params: URLSearchParams, tenant: string | undefined): ListSessionsQuery {
  const range = resolveRange(params)
  return {
    from: toApiTime(range.from),
    to: toApiTime(range.to),
    tenant,
    q: params.get('q') || undefined,
    user: params.get('user') || undefined,
    limit: SESSIONS_PAGE_SIZE,
    cursor: params.get('cursor') || undefined,
  }
}

export const REQUESTS_PAGE_SIZE = 100

/** Request log filters: repeated URL params for names, `*_min`/`*_max` for ranges (as the API takes them). */
export const REQUEST_NAME_FILTERS = ['route', 'model', 'provider', 'user', 'session', 'tag'] as const
export const REQUEST_RANGE_FILTERS = ['latency', 'ttft', 'tokens', 'cost', 'score'] as const

/**
 * The request log query for the URL's filters, without a cursor (the page walks the cursors).
 * `tenants` are sent only for the admin; a tenant key is narrowed by the API itself.
 */
export function requestsListQuery(params: URLSearchParams, admin: boolean): ListRequestsQuery {
  const range = resolveRange(params, Date.now())
  const query: ListRequestsQuery = { from: toApiTime(range.from), to: toApiTime(range.to), limit: REQUESTS_PAGE_SIZE }
  const record = query as Record<string, unknown>
  if (admin && params.getAll('tenant').length > 0) query.tenant = params.getAll('tenant')
  for (const key of REQUEST_NAME_FILTERS) if (params.getAll(key).length > 0) record[key] = params.getAll(key)
  const status = params.get('status')
  if (status === 'ok' || status === 'error') query.status = status
  for (const key of REQUEST_RANGE_FILTERS) {
    for (const end of ['min', 'max']) {
      const v = params.get(`${key}_${end}`)
      if (v) record[`${key}_${end}`] = key === 'cost' ? v : Number(v)
    }
  }
  const score = params.get('score')
  if (score) query.score = score
  const q = params.get('q')
  if (q) query.q = q
  return query
}

export const requestsQueryKey = (query: ListRequestsQuery) => ['requests', query] as const

/**
 * Starts a page's main request while its code chunk is still loading (and while React holds back
 * the suspended page), instead of after the page mounts. Same query keys as the page's hooks.
 */
export function prefetchPageData(
  queryClient: QueryClient,
  client: CollectorClient,
  path: string,
  params: URLSearchParams,
): void {
  const tenant = params.get('tenant') || undefined
  const [, first, id] = path.split('/').map(decodeURIComponent)
  if (first === 'requests' && !id) {
    const query = requestsListQuery(params, true)
    void queryClient.prefetchInfiniteQuery({
      queryKey: requestsQueryKey(query),
      queryFn: ({ pageParam }) => client.listRequests({ ...query, cursor: pageParam }),
      initialPageParam: undefined as string | undefined,
    })
  } else if (first === 'sessions' && !id) {
    const query = sessionsListQuery(params, tenant)
    void queryClient.prefetchQuery({ queryKey: ['sessions', query], queryFn: () => client.listSessions(query) })
  } else if (first === 'sessions' && id) {
    void queryClient.prefetchQuery({
      queryKey: ['session', id, tenant],
      queryFn: () => client.getSession(id, { tenant }),
    })
  } else if (first === 'traces' && id) {
    void queryClient.prefetchQuery({ queryKey: ['trace', id, tenant], queryFn: () => client.getTrace(id, { tenant }) })
  }
}
