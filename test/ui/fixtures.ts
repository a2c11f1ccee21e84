import { randomBytes } from 'node:crypto'
import { ADMIN_TOKEN } from '../helpers/collector.ts'

// Real OTLP/JSON agent traffic for the browser tests: agent turn → tool, retrieval, gateway
// request → attempts (the first fails with a 503, the second answers with a tool call).

type AttrValue = string | number | boolean
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes: { key: string; value: Record<string, unknown> }[]
  status?: { code: number; message?: string }
}

export const hexId = (bytes: number) => randomBytes(bytes).toString('hex')

const attr = (key: string, v: AttrValue) => ({
  key,
  value:
    typeof v === 'string'
      ? { stringValue: v }
      : typeof v === 'boolean'
        ? { boolValue: v }
        : Number.isInteger(v)
          ? { intValue: String(v) }
          : { doubleValue: v },
})

export function span(o: {
  traceId: string
  parentSpanId?: string
  name: string
  startMs: number
  durationMs: number
  attributes: Record<string, AttrValue>
  error?: string
  kind?: number
}): OtlpSpan {
  const start = BigInt(Math.round(o.startMs)) * 1_000_000n
  return {
    traceId: o.traceId,
    spanId: hexId(8),
    ...(o.parentSpanId ? { parentSpanId: o.parentSpanId } : {}),
    name: o.name,
    kind: o.kind ?? 1,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + BigInt(Math.round(o.durationMs * 1_000_000))),
    attributes: Object.entries(o.attributes).map(([k, v]) => attr(k, v)),
    ...(o.error ? { status: { code: 2, message: o.error } } : {}),
  }
}

export interface AgentTurn {
  traceId: string
  spans: OtlpSpan[]
  requestSpanId: string
}

/** One agent turn of a session for a tenant, routed through `route`, costing `costUsd` (exact string). */
export function agentTurn(o: {
  tenant: string
  session: string
  user: string
  route: string
  startMs: number
  costUsd: string
  question: string
}): AgentTurn {
  const traceId = hexId(16)
  const common = { 'loopgate.tenant.id': o.tenant, 'session.id': o.session, 'user.id': o.user }
  const root = span({
    traceId,
    name: 'agent.turn',
    startMs: o.startMs,
    durationMs: 900,
    attributes: { ...common, 'gen_ai.operation.name': 'invoke_agent' },
  })
  const tool = span({
    traceId,
    parentSpanId: root.spanId,
    name: 'execute_tool search',
    startMs: o.startMs + 20,
    durationMs: 80,
    attributes: { ...common, 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' },
  })
  const request = span({
    traceId,
    parentSpanId: root.spanId,
    name: `chat ${o.route}`,
    startMs: o.startMs + 120,
    durationMs: 700,
    kind: 2,
    attributes: {
      ...common,
      'gen_ai.operation.name': 'chat',
      'loopgate.span': 'request',
      'loopgate.route': o.route,
      'loopgate.target': 'openai/gpt-4o-mini',
      'loopgate.routing.version': 3,
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': o.route,
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'loopgate.cost_usd': o.costUsd,
      'loopgate.cost_source': 'computed',
      'gen_ai.input.messages': JSON.stringify([
        { role: 'system', parts: [{ type: 'text', content: 'You are a support agent.' }] },
        { role: 'user', parts: [{ type: 'text', content: o.question }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        {
          role: 'assistant',
          parts: [
            { type: 'text', content: 'Let me look that up.' },
            { type: 'tool_call', name: 'lookup_order', arguments: { order: 'A-1001' } },
          ],
          finish_reason: 'tool_calls',
        },
      ]),
    },
  })
  const attemptCommon = {
    ...common,
    'gen_ai.operation.name': 'chat',
    'loopgate.span': 'attempt',
    'loopgate.route': o.route,
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
  }
  const failed = span({
    traceId,
    parentSpanId: request.spanId,
    name: 'chat gpt-4o-mini',
    startMs: o.startMs + 125,
    durationMs: 150,
    kind: 3,
    error: 'upstream 503: overloaded',
    attributes: { ...attemptCommon, 'loopgate.attempt': 1, 'loopgate.target': 'openai/gpt-4o', 'error.type': '503' },
  })
  const served = span({
    traceId,
    parentSpanId: request.spanId,
    name: 'chat gpt-4o-mini',
    startMs: o.startMs + 300,
    durationMs: 500,
    kind: 3,
    attributes: { ...attemptCommon, 'loopgate.attempt': 2, 'loopgate.target': 'openai/gpt-4o-mini' },
  })
  return { traceId, spans: [root, tool, request, failed, served], requestSpanId: request.spanId }
}

/** POSTs spans as one OTLP/JSON request with the admin token (tenant from `loopgate.tenant.id`). */
export async function ingest(collectorUrl: string, spans: OtlpSpan[], service = 'support-agent'): Promise<void> {
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', service)] },
        scopeSpans: [{ scope: { name: 'loopgate-ui-test' }, spans }],
      },
    ],
  }
  const res = await fetch(`${collectorUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`ingest failed: ${res.status} ${await res.text()}`)
  const answer = (await res.json()) as { partialSuccess?: { rejectedSpans?: string | number } }
  if (Number(answer.partialSuccess?.rejectedSpans ?? 0) > 0)
    throw new Error(`spans rejected: ${JSON.stringify(answer)}`)
}

/** Waits until `check` passes (the writer batches, so stored spans appear shortly after ingest). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}
