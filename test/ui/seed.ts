import type { CollectorClient } from '../../collector/client.ts'
import { agentTurn, eventually, ingest, type AgentTurn } from './fixtures.ts'

export interface Seeded {
  acmeTurns: AgentTurn[]
  globexTurns: AgentTurn[]
  acmeSessions: string[]
}

export const FAILING_REASON = 'missed the refund policy'
export const GLOBEX_ROUTE = 'globex-private-route'

/**
 * acme: 3 sessions × 2 turns on route `support` (alice, bob); globex: 1 session on its own route.
 * Then scores (one failing with a reason) and two routing decisions for `support`.
 */
export async function seed(collectorUrl: string, admin: CollectorClient): Promise<Seeded> {
  const now = Date.now()
  const acmeSessions = ['sess-acme-1', 'sess-acme-2', 'sess-acme-3']
  const acmeTurns: AgentTurn[] = []
  acmeSessions.forEach((session, i) => {
    for (let turn = 0; turn < 2; turn++) {
      acmeTurns.push(
        agentTurn({
          tenant: 'acme',
          session,
          user: i === 1 ? 'bob' : 'alice',
          route: 'support',
          startMs: now - 3_600_000 + i * 600_000 + turn * 60_000,
          costUsd: `0.00${i + 1}${turn + 1}2345678901`,
          question: `Where is my order #${i}${turn}?`,
        }),
      )
    }
  })
  const globexTurns = [
    agentTurn({
      tenant: 'globex',
      session: 'sess-globex-1',
      user: 'carol',
      route: GLOBEX_ROUTE,
      startMs: now - 1_800_000,
      costUsd: '0.5',
      question: 'Secret?',
    }),
  ]
  await ingest(
    collectorUrl,
    [...acmeTurns, ...globexTurns].flatMap((t) => t.spans),
  )
  await eventually(async () => {
    const { sessions } = await admin.listSessions({ limit: 10 })
    if (sessions.length < 4) throw new Error(`only ${sessions.length} sessions stored yet`)
  })

  const first = acmeTurns[0]!
  const second = acmeTurns[1]!
  await admin.postScores([
    {
      tenant_id: 'acme',
      trace_id: first.traceId,
      span_id: first.requestSpanId,
      name: 'helpfulness',
      source: 'evaluator',
      value: 0.9,
      reason: 'answered fully',
    },
    {
      tenant_id: 'acme',
      trace_id: second.traceId,
      span_id: second.requestSpanId,
      name: 'helpfulness',
      source: 'evaluator',
      value: 0.2,
      reason: FAILING_REASON,
    },
    {
      tenant_id: 'acme',
      trace_id: second.traceId,
      name: 'json_valid',
      source: 'evaluator',
      value: false,
      reason: 'output is not JSON',
    },
  ])

  const at = (msAgo: number) => String(BigInt(now - msAgo) * 1_000_000n)
  await admin.postDecision({
    route: 'support',
    created_at_ns: at(1_200_000),
    from_version: '1',
    to_version: '2',
    applied: true,
    old_weights: { 'openai/gpt-4o': 0.5, 'openai/gpt-4o-mini': 0.5 },
    new_weights: { 'openai/gpt-4o': 0.3, 'openai/gpt-4o-mini': 0.7 },
    reason: 'gpt-4o error rate 50% over 6 requests; shifting weight to gpt-4o-mini',
  })
  await admin.postDecision({
    route: 'support',
    created_at_ns: at(600_000),
    from_version: '2',
    to_version: '3',
    applied: true,
    old_weights: { 'openai/gpt-4o': 0.3, 'openai/gpt-4o-mini': 0.7 },
    new_weights: { 'openai/gpt-4o': 0.1, 'openai/gpt-4o-mini': 0.9 },
    reason: 'quality of gpt-4o-mini 0.55 within floor; cheaper; step capped at 0.2',
  })
  return { acmeTurns, globexTurns, acmeSessions }
}
