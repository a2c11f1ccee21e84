import type { RoutingTablePusher, RoutingTableView, PushResult } from './pusher.ts'
import { PushConflictError } from './pusher.ts'
import type { Weights } from './weights.ts'
import { targetId as gatewayTargetId } from '../lib/ids.ts'

/** The gateway's route shape as far as the optimizer touches it; every other field is passed through. */
interface GatewayTarget {
  provider: string
  model: string
  id?: string
  weight?: number
  [field: string]: unknown
}

interface GatewayRoute {
  name: string
  targets: GatewayTarget[]
  [field: string]: unknown
}

interface GatewayTable {
  version: number
  routes: GatewayRoute[]
}

/**
 * Pushes weights through the gateway's admin API: `GET /admin/routing`, then `PUT /admin/routing`
 * with the whole table (only the top-level target weights of optimized routes changed; rules and
 * policies are passed through) and `expectedVersion`, so a concurrent edit is never overwritten.
 */
export class GatewayRoutingPusher implements RoutingTablePusher {
  private last: GatewayTable | undefined

  constructor(private readonly options: { baseUrl: string; adminToken: string; fetch?: typeof fetch }) {}

  async read(): Promise<RoutingTableView> {
    const table = (await this.call('GET')) as GatewayTable
    this.last = table
    const routes: Record<string, Weights> = {}
    for (const r of table.routes)
      routes[r.name] = Object.fromEntries(r.targets.map((t) => [gatewayTargetId(t), t.weight ?? 1]))
    return { version: String(table.version), routes }
  }

  async push(weights: Record<string, Weights>, meta: { expectedVersion: string; reason: string }): Promise<PushResult> {
    const base =
      this.last && String(this.last.version) === meta.expectedVersion
        ? this.last
        : ((await this.call('GET')) as GatewayTable)
    const routes = base.routes.map((r) => {
      const w = weights[r.name]
      if (!w) return r
      return { ...r, targets: r.targets.map((t) => ({ ...t, weight: w[gatewayTargetId(t)] ?? t.weight ?? 0 })) }
    })
    const body = {
      routes,
      expectedVersion: Number(meta.expectedVersion),
      reason: meta.reason.slice(0, 2000),
      author: 'optimizer',
    }
    const res = (await this.call('PUT', body)) as { version: number }
    return { version: String(res.version) }
  }

  private async call(method: 'GET' | 'PUT', body?: unknown): Promise<unknown> {
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/admin/routing`
    const fetchImpl = this.options.fetch ?? globalThis.fetch
    let res: Response
    try {
      res = await fetchImpl(url, {
        method,
        headers: {
          authorization: `Bearer ${this.options.adminToken}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      })
    } catch (err) {
      throw new Error(`gateway unreachable at ${url}: ${(err as Error).message}`, { cause: err })
    }
    const text = await res.text()
    if (res.status === 409) throw new PushConflictError(`routing table changed meanwhile: ${text}`)
    if (!res.ok) throw new Error(`${method} ${url} failed with HTTP ${res.status}: ${text.slice(0, 500)}`)
    return JSON.parse(text)
  }
}
