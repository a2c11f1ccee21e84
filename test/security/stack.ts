import { hex } from '../helpers/api-fixtures.ts'
import { rmSync } from 'node:fs'
import { pino } from 'pino'
import type { TenantAccess } from '../../collector/config.ts'
import { CollectorClient } from '../../collector/client.ts'
import { start as startGateway, type RunningGateway } from '../../gateway/index.ts'
import { startSimulator, type Simulator } from '../../gateway/simulator/index.ts'
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.ts'

/**
 * Real parts for the security probes: a collector on a temp chDB, the simulated provider, and a
 * gateway that exports its spans to that collector with the admin token (as `loopgate start` does).
 * Three tenants, each with a gateway key, a collector ingest key and a read key.
 */
export const TENANT_IDS = ['alpha', 'beta', 'gamma'] as const
export type TenantId = (typeof TENANT_IDS)[number]
export const gatewayKey = (t: TenantId) => `lg-sec-gw-${t}-000001`
export const ingestKey = (t: TenantId) => `sec-${t}-ingest-key`
export const readKey = (t: TenantId) => `sec-${t}-read-key`
const PROVIDER_KEY = 'sk-sim-security-0001'

export const ROUTE = 'chat'
export const TARGET = 'sim/sim-small'
export const OTHER_ROUTE = 'side'

export { hex }

export interface Stack {
  collector: TestCollector
  gateway: RunningGateway
  sim: Simulator
  admin: CollectorClient
  reader(t: TenantId): CollectorClient
  /** One chat completion through the gateway as tenant `t`, inside trace `traceId` when given. */
  chat(t: TenantId, o?: { traceId?: string; session?: string; user?: string; route?: string }): Promise<void>
  /** Waits until every span the gateway finished is acknowledged by the collector (stored). */
  flush(): Promise<void>
  /** fetch against the collector. */
  raw(path: string, init?: RequestInit & { token?: string }): Promise<Response>
  close(): Promise<void>
}

export async function startStack(o: { collector?: Record<string, unknown> } = {}): Promise<Stack> {
  const tenants: TenantAccess[] = TENANT_IDS.map((id) => ({
    id,
    ingestKeys: [ingestKey(id)],
    readKeys: [readKey(id)],
    budgets: { usdPerDay: '1000' },
  }))
  const collector = await startTestCollector({ tenants, collector: o.collector })
  const sim = await startSimulator({ apiKeys: [PROVIDER_KEY] })
  const gateway = await startGateway({
    gateway: {
      port: 0,
      dataDir: `${collector.dataDir}-gateway`,
      providers: { sim: { protocol: 'openai', baseUrl: sim.openaiBaseUrl, apiKeyEnv: 'SIM_KEY' } },
      routes: [
        { name: ROUTE, targets: [{ provider: 'sim', model: 'sim-small', price: { input: '0.15', output: '0.6' } }] },
        {
          name: OTHER_ROUTE,
          targets: [{ provider: 'sim', model: 'sim-side', price: { input: '0.15', output: '0.6' } }],
        },
      ],
      tenants: TENANT_IDS.map((id) => ({ id, keys: [{ key: gatewayKey(id) }] })),
      telemetry: { enabled: true, collectorUrl: collector.url, scheduledDelayMs: 60_000 },
    },
    adminToken: ADMIN_TOKEN,
    exportToken: ADMIN_TOKEN,
    env: { SIM_KEY: PROVIDER_KEY },
    logger: pino({ level: 'silent' }),
  })
  const client = (token: string) => new CollectorClient({ baseUrl: collector.url, token })
  return {
    collector,
    gateway,
    sim,
    admin: client(ADMIN_TOKEN),
    reader: (t) => client(readKey(t)),
    async chat(t, c = {}) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        authorization: `Bearer ${gatewayKey(t)}`,
      }
      if (c.traceId) headers.traceparent = `00-${c.traceId}-${hex(8)}-01`
      if (c.session) headers['x-loopgate-session-id'] = c.session
      if (c.user) headers['x-loopgate-user-id'] = c.user
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: c.route ?? ROUTE, messages: [{ role: 'user', content: `hello from ${t}` }] }),
      })
      if (res.status !== 200) throw new Error(`gateway answered ${res.status}: ${await res.text()}`)
      await res.arrayBuffer()
    },
    flush: () => gateway.flushTelemetry(),
    raw(path, init = {}) {
      const { token, headers, ...rest } = init
      return fetch(`${collector.url}${path}`, {
        ...rest,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(headers as Record<string, string> | undefined),
        },
      })
    },
    async close() {
      await gateway.close()
      await sim.close()
      await collector.close()
      rmSync(`${collector.dataDir}-gateway`, { recursive: true, force: true })
      rmSync(collector.dataDir, { recursive: true, force: true })
    },
  }
}

/** One OTLP/JSON LLM span with the given token usage, posted to the collector's /v1/traces. */
export function llmSpanRequest(o: {
  traceId: string
  spanId?: string
  parentSpanId?: string
  tokens?: number
  attributes?: Record<string, string | number>
  error?: boolean
}) {
  const startNs = BigInt(Date.now() - 1000) * 1_000_000n
  const attrs: Record<string, string | number> = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.usage.input_tokens': o.tokens ?? 1_000_000,
    'gen_ai.usage.output_tokens': o.tokens ?? 1_000_000,
    ...o.attributes,
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'probe' } }] },
        scopeSpans: [
          {
            scope: { name: 'probe' },
            spans: [
              {
                traceId: o.traceId,
                spanId: o.spanId ?? hex(8),
                parentSpanId: o.parentSpanId ?? '',
                name: 'chat gpt-4o',
                kind: 3,
                startTimeUnixNano: String(startNs),
                endTimeUnixNano: String(startNs + 500_000_000n),
                attributes: Object.entries(attrs).map(([key, v]) => ({
                  key,
                  value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v },
                })),
                status: o.error ? { code: 2, message: 'boom' } : {},
              },
            ],
          },
        ],
      },
    ],
  }
}

export async function postOtlp(stack: Stack, body: unknown, token?: string): Promise<Response> {
  return stack.raw('/v1/traces', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}
