import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CollectorClient } from '../../collector/client.ts'
import { collectorConfigSchema, storageConfigSchema } from '../../collector/config.ts'
import { start as startCollector, type RunningCollector } from '../../collector/index.ts'
import { evaluatorConfigSchema } from '../../evaluator/config.ts'
import { createEvaluationEnqueuer } from '../../evaluator/enqueue.ts'
import type { EvaluationJob } from '../../evaluator/jobs.ts'
import { MemoryQueue } from '../../evaluator/queue/memory.ts'
import { start, type RunningEvaluator } from '../../evaluator/start.ts'
import { ADMIN_TOKEN } from '../helpers/collector.ts'
import { waitFor } from './wait.ts'

const queueOptions = { attempts: 5, backoffMs: 100, keepCompleted: 1000, shutdownTimeoutMs: 2_000 }
const settings = evaluatorConfigSchema.parse({
  collectorToken: ADMIN_TOKEN,
  defaults: { delayMs: 200, scorers: ['cost', 'heuristics', 'reference'] },
  routes: { support: { sloMs: 2_000 } },
})

let dataDir: string
let collector: RunningCollector
let evaluator: RunningEvaluator
const queue = new MemoryQueue<EvaluationJob>(queueOptions)
let admin: CollectorClient

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'loopgate-eval-e2e-'))
  const enqueue = createEvaluationEnqueuer(settings, queue)
  collector = await startCollector({
    collector: collectorConfigSchema.parse({ port: 0 }),
    storage: storageConfigSchema.parse({ path: dataDir }),
    tenants: [],
    adminToken: ADMIN_TOKEN,
    logger: pino({ level: 'silent' }),
    onStored: enqueue,
  })
  admin = new CollectorClient({ baseUrl: collector.url, token: ADMIN_TOKEN })
  evaluator = await start({ settings: { ...settings, collectorUrl: collector.url }, queue })
}, 60_000)
afterAll(async () => {
  await evaluator?.close()
  await queue.close()
  await collector?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const str = (key: string, value: string) => ({ key, value: { stringValue: value } })
const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } })

function otlpSpan(traceId: string, opts: { output: string; attrs?: ReturnType<typeof str>[]; kind?: 'llm' | 'tool' }) {
  const startNs = BigInt(Date.now()) * 1_000_000n
  const llm = opts.kind !== 'tool'
  return {
    traceId,
    spanId: randomBytes(8).toString('hex'),
    name: llm ? 'chat gpt-4o-mini' : 'tool lookup',
    kind: 3,
    startTimeUnixNano: startNs.toString(),
    endTimeUnixNano: (startNs + 400_000_000n).toString(),
    attributes: [
      str('loopgate.tenant.id', 'acme'),
      str('session.id', 'sess-e2e'),
      str('loopgate.route', 'support'),
      str('loopgate.target', 'openai/gpt-4o-mini'),
      ...(llm
        ? [
            str('gen_ai.operation.name', 'chat'),
            str('gen_ai.provider.name', 'openai'),
            str('gen_ai.request.model', 'gpt-4o-mini'),
            int('gen_ai.usage.input_tokens', 1000),
            int('gen_ai.usage.output_tokens', 500),
            str('input.value', 'What is 6 × 7?'),
            str('output.value', opts.output),
          ]
        : [str('openinference.span.kind', 'TOOL')]),
      ...(opts.attrs ?? []),
    ],
    status: {},
  }
}

async function ingest(spans: unknown[]) {
  const res = await fetch(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({
      resourceSpans: [
        { resource: { attributes: [str('service.name', 'e2e')] }, scopeSpans: [{ scope: { name: 'e2e' }, spans }] },
      ],
    }),
  })
  expect(res.status).toBe(200)
}

describe('end to end: spans in → queue → worker → scores through the collector API', () => {
  it('scores each LLM span once per (span, score, version), readable through the API', async () => {
    const traceId = randomBytes(16).toString('hex')
    const answer = otlpSpan(traceId, { output: 'The answer is 42.', attrs: [str('loopgate.expected_answer', '42')] })
    const json = otlpSpan(traceId, {
      output: 'not json',
      attrs: [str('loopgate.response_format', '{"type":"json_object"}')],
    })
    const tool = otlpSpan(traceId, { output: '', kind: 'tool' })
    await ingest([answer, json, tool])

    // cost + 4 heuristics + latency SLO each; + reference on one; + json_valid on the other
    const expected = 2 * 6 + 2
    await waitFor(
      async () => (await admin.listScores({ trace_id: traceId, tenant: 'acme' })).scores.length === expected,
      `${expected} scores`,
      60_000,
    )
    const { scores } = await admin.listScores({ trace_id: traceId, tenant: 'acme' })
    expect(
      scores.every(
        (s) =>
          s.source === 'evaluator' && s.tenant_id === 'acme' && s.session_id === 'sess-e2e' && s.route === 'support',
      ),
    ).toBe(true)
    expect(scores.filter((s) => s.span_id === tool.spanId)).toEqual([])
    const byName = (span: string, name: string) => scores.find((s) => s.span_id === span && s.name === name)
    expect(byName(answer.spanId, 'reference')).toMatchObject({
      value: 1,
      data_type: 'boolean',
      version: '1',
      status: 'ok',
      target: 'openai/gpt-4o-mini',
    })
    expect(byName(json.spanId, 'heuristics.json_valid')).toMatchObject({ value: 0 })
    expect(byName(answer.spanId, 'cost')).toMatchObject({ data_type: 'categorical' })

    // Duplicate delivery: the same spans again, and the same jobs through a queue that has never seen them.
    await ingest([answer, json])
    const fresh = new MemoryQueue<EvaluationJob>(queueOptions)
    const second = await start({ settings: { ...settings, collectorUrl: collector.url }, queue: fresh })
    await createEvaluationEnqueuer(
      { ...settings, defaults: { ...settings.defaults, delayMs: 0 } },
      fresh,
    )(
      [answer, json].map((s) => ({
        tenant_id: 'acme',
        TraceId: traceId,
        SpanId: s.spanId,
        session_id: 'sess-e2e',
        route: 'support',
        target: 'openai/gpt-4o-mini',
        span_type: 'llm',
        billable: 1,
        Timestamp: s.startTimeUnixNano,
      })),
    )
    await waitFor(async () => (await fresh.counts()).completed === 2, 'the re-run jobs')
    await second.close()
    await fresh.close()
    await waitFor(
      async () => (await queue.counts()).waiting + (await queue.counts()).delayed + (await queue.counts()).active === 0,
      'queue drained',
    )
    const after = (await admin.listScores({ trace_id: traceId, tenant: 'acme' })).scores
    expect(after.length).toBe(expected)
    expect(new Set(after.map((s) => s.score_id)).size).toBe(expected)
  }, 90_000)
})
