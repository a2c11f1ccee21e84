import { CollectorClient, type Span } from '../../collector/client.ts'

/**
 * Deterministic OTLP/JSON batches of agent traces for delivery tests: batch b holds `traces`
 * traces, each a root (naming session `s-b-(t % 4)`) and an LLM call with known token counts.
 * The same b always gives the same ids and the same bytes, as a re-sent batch does.
 */
export function agentBatch(b: number, traces = 20, startNs = BigInt(Date.now() - 60_000) * 1_000_000n) {
  const spans = []
  for (let t = 0; t < traces; t++) {
    const traceId = traceIdOf(b, t)
    const root = spanIdOf(b, t, 1)
    const at = startNs + BigInt(t) * 1_000_000n
    spans.push({
      traceId,
      spanId: root,
      name: 'agent.turn',
      kind: 1,
      startTimeUnixNano: String(at),
      endTimeUnixNano: String(at + 900_000_000n),
      attributes: [
        { key: 'session.id', value: { stringValue: `s-${b}-${t % 4}` } },
        { key: 'user.id', value: { stringValue: 'u-1' } },
      ],
    })
    spans.push({
      traceId,
      spanId: spanIdOf(b, t, 2),
      parentSpanId: root,
      name: 'chat gpt-4o-mini',
      kind: 3,
      startTimeUnixNano: String(at + 1_000_000n),
      endTimeUnixNano: String(at + 500_000_000n),
      attributes: [
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: String(inputTokensOf(t)) } },
        { key: 'gen_ai.usage.output_tokens', value: { intValue: '10' } },
      ],
    })
  }
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  })
}

export const traceIdOf = (b: number, t: number) =>
  `${b.toString(16).padStart(8, '0')}${t.toString(16).padStart(8, '0')}`.padEnd(32, 'a')
const spanIdOf = (b: number, t: number, i: number) =>
  `${b.toString(16).padStart(6, '0')}${t.toString(16).padStart(6, '0')}${i.toString(16).padStart(4, '0')}`
export const inputTokensOf = (t: number) => 100 + t

/** What the API must show for batches `bs` (each stored once): per trace 2 spans, per session its spans and tokens. */
export function expectedOf(bs: number[], traces = 20) {
  const sessions = new Map<string, { spans: number; input: number }>()
  let input = 0
  for (const b of bs) {
    for (let t = 0; t < traces; t++) {
      const s = sessions.get(`s-${b}-${t % 4}`) ?? { spans: 0, input: 0 }
      s.spans += 2
      s.input += inputTokensOf(t)
      sessions.set(`s-${b}-${t % 4}`, s)
      input += inputTokensOf(t)
    }
  }
  return { sessions, llmCalls: bs.length * traces, input, output: bs.length * traces * 10 }
}

export const flatten = (spans: Span[]): Span[] => spans.flatMap((s) => [s, ...flatten(s.children)])

/** Every trace of the batches has exactly its two spans, each once, through GET /api/traces/:id. */
export async function traceSpanCounts(client: CollectorClient, bs: number[], traces = 20): Promise<number[]> {
  const counts: number[] = []
  for (const b of bs) {
    for (let t = 0; t < traces; t++) counts.push(flatten((await client.getTrace(traceIdOf(b, t))).roots).length)
  }
  return counts
}

/** Spans counted over every session of a tenant (all pages of the session list). */
export async function sessionSpanTotal(client: CollectorClient, tenant: string): Promise<number> {
  let total = 0
  for (let cursor: string | undefined, page = 0; page < 20; page++) {
    const list = await client.listSessions({ tenant, limit: 500, cursor })
    total += list.sessions.reduce((sum, s) => sum + s.spans, 0)
    if (!list.next_cursor) break
    cursor = list.next_cursor
  }
  return total
}
