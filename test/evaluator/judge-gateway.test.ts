import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base'
import { pino } from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { evaluatorConfigSchema } from '../../evaluator/config.ts'
import { createJudgeScorer } from '../../evaluator/scorers/judge.ts'
import { RetryableError } from '../../evaluator/scorers/types.ts'
import { start, type RunningGateway } from '../../gateway/index.ts'
import { startSimulator, type Simulator } from '../../gateway/simulator/index.ts'
import { apiSpan, context } from './span-fixture.ts'

const JUDGE_KEY = 'lg-judge-key-system-0001'
const task = (verdict: unknown) => ({
  'x-loopgate-task': JSON.stringify({
    expected_answer: typeof verdict === 'string' ? verdict : JSON.stringify(verdict),
  }),
})

let sim: Simulator
let gw: RunningGateway
let dataDir: string
const exporter = new InMemorySpanExporter()

beforeAll(async () => {
  sim = await startSimulator()
  dataDir = mkdtempSync(join(tmpdir(), 'loopgate-judge-gw-'))
  gw = await start({
    gateway: {
      port: 0,
      dataDir,
      providers: { sim: { protocol: 'openai', baseUrl: sim.openaiBaseUrl } },
      routes: [
        {
          name: 'judge',
          targets: [{ provider: 'sim', model: 'judge-model', price: { input: '1', output: '2' } }],
          policy: { maxAttempts: 1 },
        },
      ],
      tenants: [{ id: 'system', keys: [{ key: JUDGE_KEY }] }],
      telemetry: { enabled: false },
    },
    logger: pino({ level: 'silent' }),
    spanExporters: [exporter],
  })
})
afterAll(async () => {
  await gw?.close()
  await sim?.close()
  rmSync(dataDir, { recursive: true, force: true })
})
beforeEach(() => sim.reset())

const judge = (overrides: Record<string, unknown> = {}) =>
  createJudgeScorer(
    evaluatorConfigSchema.parse({ judge: { baseUrl: `${gw.url}/v1`, apiKey: JUDGE_KEY, route: 'judge', ...overrides } })
      .judge,
  )

const span = apiSpan({ input_text: 'What is 2+2?', output_text: '4' })

describe('LLM-as-judge through the Loopgate gateway (simulated provider)', () => {
  it('scores with the versioned rubric under the system tenant', async () => {
    const [d] = await judge({ headers: task({ score: 4, reason: 'correct and concise' }) }).score(span, context(span))
    expect(d).toEqual({
      name: 'judge',
      data_type: 'numeric',
      value: 0.75,
      label: '4/5',
      reason: 'correct and concise',
      status: 'ok',
    })
    const req = sim.requests.at(-1)!
    const messages = req.body.messages as { role: string; content: string }[]
    expect(messages[0]!.content).toContain('integer scale from 1 (worst) to 5 (best)')
    expect(messages[1]!.content).toContain('What is 2+2?')
    await gw.flushTelemetry()
    const judged = exporter
      .getFinishedSpans()
      .filter((s) => s.attributes['loopgate.route'] === 'judge' && s.attributes['loopgate.span'] === 'request')
    expect(judged.length).toBeGreaterThan(0)
    expect(judged.at(-1)!.attributes['loopgate.tenant.id']).toBe('system')
    expect(judge().version).toBe('helpfulness-v1')
  })

  it('turns prose without a score into a failed evaluation', async () => {
    const [d] = await judge().score(span, context(span))
    expect(d).toMatchObject({ name: 'judge', status: 'failed', reason: expect.stringContaining('no score found') })
  })

  it('turns an out-of-range verdict into a failed evaluation', async () => {
    const [d] = await judge({ headers: task({ score: 11, reason: 'great' }) }).score(span, context(span))
    expect(d).toMatchObject({ status: 'failed', reason: expect.stringContaining('outside the rubric') })
  })

  it('turns a judge that never answers into a failed evaluation after the timeout', async () => {
    sim.script('judge-model', { kind: 'hang' })
    const [d] = await judge({ timeoutMs: 300 }).score(span, context(span))
    expect(d).toMatchObject({ status: 'failed', reason: 'the judge did not answer within 300 ms' })
  })

  it('asks for a retry on a gateway 5xx, and records a failure on the last attempt', async () => {
    sim.script('judge-model', { kind: 'error', status: 503 }, { kind: 'error', status: 503 })
    await expect(judge().score(span, context(span, {}, false))).rejects.toBeInstanceOf(RetryableError)
    const [d] = await judge().score(span, context(span, {}, true))
    expect(d).toMatchObject({ status: 'failed', reason: expect.stringContaining('HTTP 5') })
  })

  it('refuses clearly when unconfigured or when the judged call failed', async () => {
    const unconfigured = createJudgeScorer(evaluatorConfigSchema.parse({}).judge)
    expect((await unconfigured.score(span, context(span)))[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('not configured'),
    })
    const errored = apiSpan({ is_error: true })
    expect((await judge().score(errored, context(errored)))[0]).toMatchObject({ status: 'failed' })
  })

  it('fails on a wrong virtual key rather than retrying forever', async () => {
    const [d] = await judge({ apiKey: 'not-a-real-key-000' }).score(span, context(span))
    expect(d).toMatchObject({ status: 'failed', reason: expect.stringContaining('HTTP 401') })
  })
})
