import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQueries,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query'
import { useClient } from '../app/auth.tsx'
import type {
  ChargebackQuery,
  ListDecisionsQuery,
  ListFailureClustersQuery,
  ListRequestsQuery,
  ListScoresQuery,
  ListSessionsQuery,
  RouteStatsQuery,
  ScoreInput,
} from './client.ts'
import { requestsQueryKey } from './page-queries.ts'

// One hook per endpoint; the query key is the endpoint plus its exact parameters.

export function useTenants() {
  const client = useClient()
  return useQuery({ queryKey: ['tenants'], queryFn: () => client.tenants(), staleTime: 300_000 })
}

export function useSessions(query: ListSessionsQuery) {
  const client = useClient()
  return useQuery({
    queryKey: ['sessions', query],
    queryFn: () => client.listSessions(query),
    placeholderData: keepPreviousData,
  })
}

/** The request log, one cursor page after another (the page asks for the next as it scrolls). */
export function useRequests(query: ListRequestsQuery) {
  const client = useClient()
  return useInfiniteQuery({
    queryKey: requestsQueryKey(query),
    queryFn: ({ pageParam }) => client.listRequests({ ...query, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
  })
}

export function useSession(sessionId: string, tenant?: string) {
  const client = useClient()
  return useQuery({ queryKey: ['session', sessionId, tenant], queryFn: () => client.getSession(sessionId, { tenant }) })
}

export function useTrace(traceId: string, tenant?: string) {
  const client = useClient()
  return useQuery({ queryKey: ['trace', traceId, tenant], queryFn: () => client.getTrace(traceId, { tenant }) })
}

export function useChargeback(query: ChargebackQuery) {
  const client = useClient()
  return useQuery({
    queryKey: ['chargeback', query],
    queryFn: () => client.chargeback(query),
    placeholderData: keepPreviousData,
  })
}

export function useRouteStats(query: RouteStatsQuery) {
  const client = useClient()
  return useQuery({
    queryKey: ['route-stats', query],
    queryFn: () => client.routeStats(query),
    placeholderData: keepPreviousData,
  })
}

/** Route stats for consecutive windows (the API aggregates one window per call). */
export function useRouteStatsSeries(
  windows: { from: string; to: string }[],
  base: Omit<RouteStatsQuery, 'from' | 'to' | 'window'>,
) {
  const client = useClient()
  return useQueries({
    queries: windows.map((w) => ({
      queryKey: ['route-stats', { ...base, ...w }],
      queryFn: () => client.routeStats({ ...base, ...w }),
    })),
  })
}

export function useDecisions(query: ListDecisionsQuery, enabled = true) {
  const client = useClient()
  return useQuery({ queryKey: ['decisions', query], queryFn: () => client.listDecisions(query), enabled })
}

export function useScores(query: ListScoresQuery) {
  const client = useClient()
  return useQuery({
    queryKey: ['scores', query],
    queryFn: () => client.listScores(query),
    placeholderData: keepPreviousData,
  })
}

export function useBudgets(tenant?: string) {
  const client = useClient()
  return useQuery({ queryKey: ['budgets', tenant], queryFn: () => client.budgets({ tenant }) })
}

/** The signed-in key: shown as the identity annotations are attributed to. */
export function useMe() {
  const client = useClient()
  return useQuery({ queryKey: ['me'], queryFn: () => client.me(), staleTime: Infinity })
}

export function useFailureClusters(query: ListFailureClustersQuery) {
  const client = useClient()
  return useQuery({
    queryKey: ['failure-clusters', query],
    queryFn: () => client.failureClusters(query),
    placeholderData: keepPreviousData,
  })
}

/** Posts a human score; the trace (and any score list) shows it once stored. */
export function useAnnotate() {
  const client = useClient()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (score: ScoreInput) => client.postScores(score),
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['trace'] }),
        queryClient.invalidateQueries({ queryKey: ['scores'] }),
        queryClient.invalidateQueries({ queryKey: ['session'] }),
      ])
    },
  })
}
