import { randomBytes } from 'node:crypto'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { Logger } from 'pino'
import { runAgentTurn } from './agent.ts'
import { DEMO_ROUTE, demoTenants } from './config.ts'

export interface DemoTraffic {
  close(): Promise<void>
}

/**
 * Synthetic agent sessions from every demo tenant: each session is a few turns by one user, each
 * turn an instrumented agent run whose LLM calls go through the gateway. About one turn a second.
 */
export function startDemoTraffic(options: {
  gatewayUrl: string
  collectorUrl: string
  logger: Logger
  turnIntervalMs?: number
}): DemoTraffic {
  const agents = demoTenants.map((tenant) => {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': `${tenant.id}-support-agent` }),
      spanProcessors: [
        new BatchSpanProcessor(
          new OTLPTraceExporter({
            url: `${options.collectorUrl}/v1/traces`,
            headers: { Authorization: `Bearer ${tenant.ingestKey}` },
          }),
          { scheduledDelayMillis: 1000 },
        ),
      ],
    })
    return { tenant, provider, tracer: provider.getTracer('demo-agent', '1.0.0'), session: newSession(tenant.id) }
  })
  let stopped = false
  let turns = 0
  const loop = (async () => {
    while (!stopped) {
      const agent = agents[turns++ % agents.length]!
      if (agent.session.turnsLeft-- <= 0) agent.session = newSession(agent.tenant.id)
      await runAgentTurn(agent.tracer, {
        gatewayUrl: options.gatewayUrl,
        model: DEMO_ROUTE,
        key: agent.tenant.key,
        sessionId: agent.session.id,
        userId: agent.session.user,
        random: Math.random,
      }).catch((err) => options.logger.warn({ err }, 'demo agent turn failed'))
      await new Promise((r) => setTimeout(r, options.turnIntervalMs ?? 1000))
    }
  })()
  options.logger.info({ tenants: demoTenants.map((t) => t.id) }, 'demo traffic running')
  return {
    async close() {
      stopped = true
      await loop
      await Promise.all(agents.map((a) => a.provider.shutdown()))
    },
  }
}

function newSession(tenant: string) {
  return {
    id: `${tenant}-${randomBytes(6).toString('hex')}`,
    user: `${tenant}-user-${Math.floor(Math.random() * 12)}`,
    turnsLeft: 2 + Math.floor(Math.random() * 3),
  }
}
