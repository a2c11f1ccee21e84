import type { QueryClient } from '@tanstack/react-query'
import type { CollectorClient, ListSessionsQuery } from './client.ts'
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

/**
 * Starts a page's main request while its code chunk is still loading (and while React holds back
 * the suspended page), instead of after the page mounts. Same query keys as the page's hooks.
 */
export function prefetchPageData(queryClient: QueryClient, client: CollectorClient, path: string, params: URLSearchParams): void {
  const tenant = params.get('tenant') || undefined
  const [, first, id] = path.split('/').map(decodeURIComponent)
  if (first === 'sessions' && !id) {
    const query = sessionsListQuery(params, tenant)
    void queryClient.prefetchQuery({ queryKey: ['sessions', query], queryFn: () => client.listSessions(query) })
  } else if (first === 'sessions' && id) {
    void queryClient.prefetchQuery({ queryKey: ['session', id, tenant], queryFn: () => client.getSession(id, { tenant }) })
  } else if (first === 'traces' && id) {
    void queryClient.prefetchQuery({ queryKey: ['trace', id, tenant], queryFn: () => client.getTrace(id, { tenant }) })
  }
}
