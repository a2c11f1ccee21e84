import type { Tracer } from '@opentelemetry/api'
import type { Logger } from 'pino'
import type { GatewaySettings } from './config.ts'
import type { ResponseCache } from './cache/index.ts'
import type { Breakers } from './policy/breaker.ts'
import type { Cooldowns } from './policy/cooldown.ts'
import type { Upstreams } from './policy/upstream.ts'
import type { RoutingTable } from './routing/manager.ts'
import type { Scoreboard } from './scoreboard.ts'
import type { VirtualKeys } from './tenancy/keys.ts'
import type { LimitStore } from './tenancy/limits.ts'

/** Everything a request handler needs, built once at start. */
export interface GatewayContext {
  settings: GatewaySettings
  keys: VirtualKeys
  limits: LimitStore
  routing: RoutingTable
  breakers: Breakers
  cooldowns: Cooldowns
  scoreboard: Scoreboard
  upstreams: Upstreams
  tracer: Tracer
  logger: Logger
  /** Every route's response cache (one store: memory, or Redis when configured). */
  responseCache: ResponseCache
  /** Refusals and failures by reason, for /metrics. */
  counters: Map<string, number>
  /** Span delivery counters and spool gauges (telemetry/delivery-stats.ts), for /metrics. */
  telemetryMetrics?: () => string[]
}

export function count(ctx: Pick<GatewayContext, 'counters'>, reason: string): void {
  ctx.counters.set(reason, (ctx.counters.get(reason) ?? 0) + 1)
}
