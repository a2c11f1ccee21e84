// Sessions, traces, chargeback and route statistics agree on the number of LLM calls: real
// gateway + simulator + collector, plus producer spans (a Vercel AI SDK root + doGenerate, an LLM
// span without usage as a stream sends it) in the same session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROUTE, hex, ingestKey, llmSpanRequest, postOtlp, startStack, type Stack } from '../security/stack.ts'
import { emitProtobuf, vercelSpans } from './fixtures/conventions.ts'

let stack: Stack
const SESSION = 'sess-v' // the Vercel fixture's session (ai.telemetry.metadata.sessionId)
const gatewayTrace = hex(16)

beforeAll(async () => {
  stack = await startStack()
  // Two gateway calls in one trace: each a request span and an attempt child.
  await stack.chat('alpha', { traceId: gatewayTrace, session: SESSION })
  await stack.chat('alpha', { traceId: gatewayTrace, session: SESSION })
  await stack.flush()
  // A producer's LLM span in the same trace that reported no usage (a stream).
  const noUsage = await postOtlp(
    stack,
    llmSpanRequest({ traceId: gatewayTrace, tokens: 0, attributes: { 'session.id': SESSION } }),
    ingestKey('alpha'),
  )
  expect(noUsage.status).toBe(200)
  // A Vercel AI SDK call: ai.generateText root + its doGenerate child, both reporting the same usage.
  const vercel = await stack.raw('/v1/traces', {
    method: 'POST',
    token: ingestKey('alpha'),
    headers: { 'content-type': 'application/x-protobuf' },
    body: emitProtobuf(vercelSpans),
  })
  expect(vercel.status).toBe(200)
}, 120_000)

afterAll(async () => stack?.close())

describe('every LLM call counts once, everywhere', () => {
  it('sessions, trace totals, chargeback and route statistics agree: 4 calls (2 gateway, 1 without usage, 1 Vercel)', async () => {
    const alpha = stack.reader('alpha')
    const [listed] = (await alpha.listSessions()).sessions
    expect(listed).toMatchObject({ session_id: SESSION, llm_calls: 4 })

    const session = await alpha.getSession(SESSION)
    expect(session.totals.llm_calls).toBe(4)
    expect(session.traces).toHaveLength(2)
    const perTrace = Object.fromEntries(
      session.traces.map((t) => [t.trace_id === gatewayTrace ? 'gateway' : 'vercel', t.totals.llm_calls]),
    )
    expect(perTrace).toEqual({ gateway: 3, vercel: 1 })
    expect((await alpha.getTrace(gatewayTrace)).totals.llm_calls).toBe(3)

    const chargeback = await alpha.chargeback({ period: 'day', group: 'route' })
    expect(chargeback.tenant_totals.alpha?.requests).toBe(4)
    expect(chargeback.rows.find((r) => r.key === ROUTE)?.requests).toBe(2)
    // Tokens: each call once — the Vercel root's copy of its child's usage is not summed.
    expect(chargeback.tenant_totals.alpha?.input_tokens).toBe(session.totals.input_tokens)
    expect(listed!.input_tokens).toBe(session.totals.input_tokens)

    const stats = (await stack.admin.routeStats({ window: '1h', route: ROUTE })).stats
    expect(stats.reduce((n, s) => n + s.requests, 0)).toBe(2)
  })
})
