import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CollectorClient } from '../../collector/client.ts'
import { collectorConfigSchema, storageConfigSchema } from '../../collector/config.ts'
import { start as startCollector } from '../../collector/index.ts'
import { evaluatorConfigSchema } from '../../evaluator/config.ts'
import { createEvaluationEnqueuer } from '../../evaluator/enqueue.ts'
import type { EvaluationJob } from '../../evaluator/jobs.ts'
import { MemoryQueue } from '../../evaluator/queue/memory.ts'
import { start as startEvaluator, type RunningEvaluator } from '../../evaluator/start.ts'
import { gatewayConfigSchema } from '../../gateway/config.ts'
import { MAX_ID_LENGTH } from '../../lib/limits.ts'
import { ADMIN_TOKEN, type TestCollector } from '../helpers/collector.ts'
import { KEY, post, startHarness, type Harness } from '../gateway/harness.ts'
import { waitFor } from '../evaluator/wait.ts'

/** Under Node's 16 KiB header limit with the other headers, as the "16 KB session id". */
const HUGE = 's'.repeat(16_000)
/** Exactly at the limit, with characters that are not ASCII (length counts UTF-16 code units, like JS). */
const AT_LIMIT = `sé-${'x'.repeat(MAX_ID_LENGTH - 3)}`

describe('gateway edge: one length limit per client-chosen id, 400 naming the field', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.close())

  const chat = { model: 'chat', messages: [{ role: 'user', content: 'hi' }] }
  const headers = (extra: Record<string, string>) => ({
    'content-type': 'application/json',
    authorization: `Bearer ${KEY}`,
    ...extra,
  })

  it('refuses a 16 KB session id, user id (header or body) and a control character, before any upstream call', async () => {
    const before = h.sim.requests.length
    const cases: [Record<string, string>, unknown, string][] = [
      [{ 'x-loopgate-session-id': HUGE }, chat, 'x-loopgate-session-id'],
      [{ 'x-loopgate-user-id': HUGE }, chat, 'x-loopgate-user-id'],
      [{}, { ...chat, user: HUGE }, 'user'],
      [{ 'x-loopgate-session-id': 'tab\there' }, chat, 'x-loopgate-session-id'],
    ]
    for (const [extra, body, field] of cases) {
      const r = await post(`${h.url}/v1/chat/completions`, body, headers(extra))
      expect(r.status, field).toBe(400)
      expect(r.json.error.param).toBe(field)
      if (field !== 'x-loopgate-session-id' || !extra[field]!.includes('\t'))
        expect(r.json.error.message).toContain(`the limit is ${MAX_ID_LENGTH}`)
      expect(r.text.length).toBeLessThan(1_000) // the refusal does not echo the id back
    }
    const msg = await post(
      `${h.url}/v1/messages`,
      { model: 'claude', max_tokens: 5, messages: chat.messages },
      headers({ 'x-loopgate-session-id': HUGE }),
    )
    expect(msg.status).toBe(400)
    expect(msg.json.type).toBe('error')
    expect(h.sim.requests.length).toBe(before)
  })

  it('accepts an id of exactly the limit and puts it on the spans', async () => {
    const r = await post(
      `${h.url}/v1/chat/completions`,
      { ...chat, user: AT_LIMIT },
      headers({ 'x-loopgate-session-id': AT_LIMIT }),
    )
    expect(r.status).toBe(200)
    const span = (await h.spans()).find((s) => s.attributes['session.id'] === AT_LIMIT)
    expect(span?.attributes['user.id']).toBe(AT_LIMIT)
  })

  it('route names and target ids in the routing config obey the same limit', () => {
    const route = (name: string, target: Record<string, unknown>) =>
      gatewayConfigSchema.safeParse({ routes: [{ name, targets: [target] }] })
    expect(route('r'.repeat(MAX_ID_LENGTH), { provider: 'p', model: 'm' }).success).toBe(true)
    expect(route('r'.repeat(MAX_ID_LENGTH + 1), { provider: 'p', model: 'm' }).success).toBe(false)
    expect(route('r', { provider: 'p', model: 'm'.repeat(MAX_ID_LENGTH) }).success).toBe(false) // id = p/mmm…
    expect(route('r', { provider: 'p', model: 'm'.repeat(MAX_ID_LENGTH), id: 'short' }).success).toBe(true)
  })
})

describe('collector and evaluator: what the collector stores, the evaluator scores', () => {
  let collector: TestCollector
  let evaluator: RunningEvaluator
  let client: CollectorClient
  const queue = new MemoryQueue<EvaluationJob>({
    attempts: 2,
    backoffMs: 50,
    keepCompleted: 1000,
    shutdownTimeoutMs: 2_000,
  })
  const settings = evaluatorConfigSchema.parse({
    collectorToken: ADMIN_TOKEN,
    defaults: { delayMs: 0, scorers: ['cost'] },
  })

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loopgate-ids-'))
    const running = await startCollector({
      collector: collectorConfigSchema.parse({ port: 0 }),
      storage: storageConfigSchema.parse({ path: dataDir }),
      tenants: [],
      adminToken: ADMIN_TOKEN,
      logger: pino({ level: 'silent' }),
      onStored: createEvaluationEnqueuer(settings, queue),
    })
    collector = { ...running, dataDir }
    client = new CollectorClient({ baseUrl: collector.url, token: ADMIN_TOKEN })
    evaluator = await startEvaluator({ settings: { ...settings, collectorUrl: collector.url }, queue })
  }, 60_000)
  afterAll(async () => {
    await evaluator?.close()
    await queue.close()
    await collector?.close()
    if (collector) rmSync(collector.dataDir, { recursive: true, force: true })
  })

  const str = (key: string, value: string) => ({ key, value: { stringValue: value } })
  function llmSpan(
    traceId: string,
    ids: { tenant?: string; session?: string; user?: string; route?: string; target?: string },
  ) {
    const startNs = BigInt(Date.now()) * 1_000_000n
    return {
      traceId,
      spanId: randomBytes(8).toString('hex'),
      name: 'chat m',
      kind: 3,
      startTimeUnixNano: startNs.toString(),
      endTimeUnixNano: (startNs + 1_000_000n).toString(),
      attributes: [
        str('loopgate.tenant.id', ids.tenant ?? 'acme'),
        str('session.id', ids.session ?? 'sess-1'),
        str('user.id', ids.user ?? 'user-1'),
        str('loopgate.route', ids.route ?? 'support'),
        str('loopgate.target', ids.target ?? 'openai/gpt-4o-mini'),
        str('gen_ai.operation.name', 'chat'),
        str('gen_ai.provider.name', 'openai'),
        str('gen_ai.request.model', 'gpt-4o-mini'),
        { key: 'gen_ai.usage.input_tokens', value: { intValue: '10' } },
        { key: 'gen_ai.usage.output_tokens', value: { intValue: '5' } },
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
          { resource: { attributes: [str('service.name', 'ids')] }, scopeSpans: [{ scope: { name: 'ids' }, spans }] },
        ],
      }),
    })
    expect(res.status).toBe(200)
    return (await res.json()) as { partialSuccess?: { rejectedSpans: string; errorMessage: string } }
  }

  it('refuses a span with a 16 KB session id as OTLP partial success, stores nothing of it, and queues no job', async () => {
    const traceId = randomBytes(16).toString('hex')
    const ok = llmSpan(traceId, {})
    const answers = await Promise.all([
      ingest([ok, llmSpan(traceId, { session: HUGE })]),
      ingest([llmSpan(randomBytes(16).toString('hex'), { user: HUGE })]),
      ingest([llmSpan(randomBytes(16).toString('hex'), { route: 'r'.repeat(MAX_ID_LENGTH + 1) })]),
      ingest([llmSpan(randomBytes(16).toString('hex'), { session: 'new\nline' })]),
    ])
    for (const a of answers) {
      expect(a.partialSuccess?.rejectedSpans).toBe('1')
    }
    expect(answers[0]!.partialSuccess!.errorMessage).toMatch(
      new RegExp(`session_id is 16000 characters long; the limit is ${MAX_ID_LENGTH}`),
    )
    expect(answers[1]!.partialSuccess!.errorMessage).toMatch(/user_id is 16000 characters/)
    expect(answers[3]!.partialSuccess!.errorMessage).toMatch(/session_id contains a control character/)
    const trace = await client.getTrace(traceId, { tenant: 'acme' })
    const stored = JSON.stringify(trace)
    expect(stored).toContain(ok.spanId)
    expect(stored).not.toContain(HUGE)
    await waitFor(async () => (await queue.counts()).completed >= 1, 'the valid span scored', 30_000)
    expect((await queue.counts()).dead).toBe(0)
  }, 60_000)

  it('scores spans whose every id is exactly at the limit: nothing dead-letters', async () => {
    const long = (c: string) => `${c}é${c.repeat(MAX_ID_LENGTH - 2)}`
    const traceId = randomBytes(16).toString('hex')
    const span = llmSpan(traceId, {
      tenant: long('t'),
      session: long('s'),
      user: long('u'),
      route: long('r'),
      target: long('g'),
    })
    const answer = await ingest([span])
    expect(answer.partialSuccess).toBeUndefined()
    await waitFor(
      async () =>
        (await client.listScores({ trace_id: traceId, tenant: long('t') })).scores.length > 0 ||
        (await queue.counts()).dead > 0,
      'a score or a dead letter',
      30_000,
    )
    expect(await queue.deadLetters()).toEqual([])
    const { scores } = await client.listScores({ trace_id: traceId, tenant: long('t') })
    expect(scores[0]).toMatchObject({
      session_id: long('s'),
      route: long('r'),
      target: long('g'),
      tenant_id: long('t'),
    })
  }, 60_000)

  it('the query API takes ids up to the same limit, and refuses longer ones with 400', async () => {
    const q = (path: string) =>
      fetch(`${collector.url}/api${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect((await q(`/sessions/${'s'.repeat(MAX_ID_LENGTH)}?tenant=${'t'.repeat(MAX_ID_LENGTH)}`)).status).toBe(404) // accepted, and not there
    expect((await q(`/sessions/${'s'.repeat(MAX_ID_LENGTH + 1)}`)).status).toBe(400)
    expect((await q(`/sessions?user=${'u'.repeat(MAX_ID_LENGTH + 1)}`)).status).toBe(400)
    expect((await q(`/scores?tenant=${'t'.repeat(MAX_ID_LENGTH)}`)).status).toBe(200)
  })
})
