import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useClient } from '../app/auth.tsx'
import type { CreateKeyRequest, LimitsRequest, RoutingRoute } from './client.ts'

// The admin page's calls: the collector relays them to the gateway's admin API (admin token only).

export function useAdminKeys(enabled: boolean) {
  const client = useClient()
  return useQuery({ queryKey: ['admin-keys'], queryFn: () => client.adminKeys(), enabled })
}

export function useKeyAudit(enabled: boolean) {
  const client = useClient()
  return useQuery({ queryKey: ['admin-key-audit'], queryFn: () => client.keyAudit({ limit: 50 }), enabled })
}

export function useRoutingTable(enabled: boolean) {
  const client = useClient()
  return useQuery({ queryKey: ['admin-routing'], queryFn: () => client.routingTable(), enabled })
}

export function useRoutingAudit(enabled: boolean) {
  const client = useClient()
  return useQuery({ queryKey: ['admin-routing-audit'], queryFn: () => client.routingAudit({ limit: 200 }), enabled })
}

/** A tenant read key's own keys (the admin's: every tenant's), read-only. */
export function useMyKeys(enabled: boolean) {
  const client = useClient()
  return useQuery({ queryKey: ['my-keys'], queryFn: () => client.myKeys(), enabled })
}

/** Every admin change refreshes what it may have changed. */
function useAdminMutation<A, R>(run: (a: A) => Promise<R>) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: run,
    onSuccess: () => {
      for (const key of ['admin-keys', 'admin-key-audit', 'admin-routing', 'admin-routing-audit', 'my-keys'])
        void queryClient.invalidateQueries({ queryKey: [key] })
    },
  })
}

export function useCreateKey() {
  const client = useClient()
  return useAdminMutation((a: { tenant: string; request: CreateKeyRequest }) => client.createKey(a.tenant, a.request))
}

export function useRevokeKey() {
  const client = useClient()
  return useAdminMutation((a: { tenant: string; key: string; reason: string }) =>
    client.revokeKey(a.tenant, a.key, { reason: a.reason }),
  )
}

export function useSetLimits() {
  const client = useClient()
  return useAdminMutation(async (a: { tenant: string; key?: string; request: LimitsRequest }): Promise<unknown> =>
    a.key ? client.setKeyLimits(a.tenant, a.key, a.request) : client.setTenantLimits(a.tenant, a.request),
  )
}

export function usePutRouting() {
  const client = useClient()
  return useAdminMutation((a: { routes: RoutingRoute[]; expectedVersion: number; reason: string }) =>
    client.putRoutingTable(a),
  )
}
