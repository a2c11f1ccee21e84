import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { evaluatorConfigSchema } from '../../evaluator/config.ts'
import { createEvaluationEnqueuer, samplePoint } from '../../evaluator/enqueue.ts'
import type { EvaluationJob } from '../../evaluator/jobs.ts'
import { MemoryQueue } from '../../evaluator/queue/memory.ts'
import { start, type RunningEvaluator } from '../../evaluator/start.ts'
import { startFakeCollector, type FakeCollector } from './fake-collector.ts'
import { traceOf } from './span-fixture.ts'
import { waitFor } from './wait.ts'

const settings = evaluatorConfigSchema.parse({
  queue: { backoffMs: 20, attempts: 3, shutdownTimeoutMs: 2_000 },
  defaults: { delayMs: 0, scorers: ['cost', 'heuristics', 'reference'] },
  routes: { sampled: { sampleRate: 0.5 }, quiet: { scorers: [] }, slo: { sloMs: 500 } },
})

let fake: FakeCollector
let queue: MemoryQueue<EvaluationJob>
let running: RunningEvaluator
beforeEach(async () => {
  fake = await startFakeCollector()
  queue = new MemoryQueue<EvaluationJob>({
    attempts: 3,
    backoffMs: 20,
    keepCompleted: 10_000,
    shutdownTimeoutMs: 2_000,
  })
  running = await start({ settings: { ...settings, collectorUrl: fake.url }, adminToken: fake.token, queue })
})
afterEach(async () => {
  await running.close()
  await queue.close()
  await fake.close()
})

describe('evaluation worker and enqueue policy', () => {
  it('scores an LLM span and writes every score with full identity', async () => {
    const { span, row } = fake.addSpan({
      output_text: 'The answer is Paris.',
      attributes: { 'loopgate.expected_answer': 'Paris' },
    })
    await createEvaluationEnqueuer(settings, queue)([row])
    await waitFor(() => fake.scores.size === 6, 'cost + 4 heuristics + reference')
    const names = [...fake.scores.values()].map((s) => s.name).sort()
    expect(names).toEqual([
      'cost',
      'heuristics.empty',
      'heuristics.error',
      'heuristics.refusal',
      'heuristics.truncated',
      'reference',
    ])
    for (const s of fake.scores.values()) {
      expect(s).toMatchObject({
        tenant_id: 'acme',
        trace_id: span.trace_id,
        span_id: span.span_id,
        session_id: 'sess-1',
        route: 'support',
        target: 'openai/gpt-4o-mini',
        version: '1',
        source: 'evaluator',
        status: 'ok',
      })
      expect(s.score_id).toBe(`${span.span_id}.${s.name}.1`)
      expect(s.reason).not.toBe('')
    }
    expect(fake.scores.get(`${span.span_id}.reference.1`)).toMatchObject({ value: true })
  })

  it('writes no second score for duplicate deliveries of the same span', async () => {
    const { row } = fake.addSpan()
    const enqueue = createEvaluationEnqueuer(settings, queue)
    await Promise.all([enqueue([row, row]), enqueue([row])])
    await waitFor(async () => (await queue.counts()).completed === 1, 'one job')
    await enqueue([row])
    await new Promise((r) => setTimeout(r, 100))
    expect((await queue.counts()).completed).toBe(1)
    expect(fake.scores.size).toBe(5)
    expect(fake.received).toBe(5)
  })

  it('evaluates only billable LLM spans of non-system tenants on routes that ask for it, sampled by span id', async () => {
    const enqueue = createEvaluationEnqueuer(settings, queue)
    const rows = [
      fake.addSpan({ span_type: 'tool' }).row,
      { ...fake.addSpan().row, billable: 0 }, // a gateway attempt child: its request span is judged instead
      fake.addSpan({ tenant_id: 'system' }).row,
      fake.addSpan({ route: 'quiet' }).row,
    ]
    const sampled = Array.from({ length: 40 }, () => fake.addSpan({ route: 'sampled' }).row)
    await enqueue([...rows, ...sampled])
    const expected = sampled.filter((r) => samplePoint(r.SpanId) < 0.5).length
    expect(expected).toBeGreaterThan(0)
    expect(expected).toBeLessThan(40)
    await waitFor(async () => (await queue.counts()).completed === expected, `${expected} sampled jobs`)
    const spans = new Set([...fake.scores.values()].map((s) => s.span_id))
    expect(spans.size).toBe(expected)
  })

  it('applies the route SLO and retries until a late span arrives', async () => {
    const { span, row } = fake.addSpan({ route: 'slo', duration_ms: 900 })
    fake.traces.delete(span.trace_id)
    await createEvaluationEnqueuer(settings, queue)([row])
    await waitFor(async () => (await queue.counts()).delayed === 1, 'a retry scheduled')
    fake.traces.set(span.trace_id, traceOf(span))
    await waitFor(() => fake.scores.has(`${span.span_id}.heuristics.latency_slo.1`), 'latency score')
    expect(fake.scores.get(`${span.span_id}.heuristics.latency_slo.1`)).toMatchObject({ value: false })
  })

  it('dead-letters a span that never arrives, with the reason, and replays it', async () => {
    const { span, row } = fake.addSpan()
    fake.traces.delete(span.trace_id)
    await createEvaluationEnqueuer(settings, queue)([row])
    await waitFor(async () => (await queue.deadLetters()).length === 1, 'dead letter')
    expect((await queue.deadLetters())[0]!.error).toContain('not stored yet')
    fake.traces.set(span.trace_id, traceOf(span))
    expect(await queue.replay()).toBe(1)
    await waitFor(() => fake.scores.size === 5, 'scores after replay')
  })
})
