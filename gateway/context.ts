import type { Tracer } from '@opentelemetry/api'
import type { Logger } from 'pino'
import type { GatewaySettings } from './config.ts'
import type { ResponseCache } from './cache/index.ts'
import type { Breakers } from './policy/breaker.ts'
import type { Cooldowns } from './policy/cooldown.ts'
import type { Upstreams } from './policy/upstream.ts'
import type { ResponseStore } from './responses/store.ts'
import type { RoutingTable } from './routing/manager.ts'
import type { Scoreboard } from './scoreboard.ts'
import type { KeyStateStore } from './tenancy/key-state-store.ts'
import type { VirtualKeys } from './tenancy/keys.ts'
import type { LimitStore } from './tenancy/limits.ts'

/** Everything a request handler needs, built once at start. */
export interface GatewayContext {
  settings: GatewaySettings
  keys: VirtualKeys
  /** Keys and limits managed through the admin API (persisted; shared through Redis). */
  keyState: KeyStateStore
  limits: LimitStore
  routing: RoutingTable
  breakers: Breakers
  cooldowns: Cooldowns
  scoreboard: Scoreboard
  upstreams: Upstreams
  tracer: Tracer
  logger: Logger
  /** Responses API answers kept for previous_response_id and GET /v1/responses/{id}. */
  responses: ResponseStore
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
