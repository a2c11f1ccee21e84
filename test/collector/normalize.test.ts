import { describe, expect, it } from 'vitest'
import { calcPrice } from '@pydantic/genai-prices'
import { Normalizer, type NormalizeContext } from '../../collector/normalize/index.ts'
import type { SpanRow } from '../../collector/storage/span-row.ts'
import {
  emit,
  gatewaySpans,
  langfuseSpans,
  oldGenAiSpans,
  openInferenceSpans,
  traceloopSpans,
  vercelSpans,
} from './fixtures/conventions.ts'

const ctx: NormalizeContext = { tenantId: 'default', trustTenantAttribute: false }

function rowsOf(
  spec: Parameters<typeof emit>[0],
  c: NormalizeContext = ctx,
  normalizer = new Normalizer(),
): Record<string, SpanRow> {
  const result = normalizer.normalize(emit(spec), c)
  expect(result.rejected).toBe(0)
  return Object.fromEntries(result.rows.map((r) => [r.SpanName, r]))
}

describe('Loopgate gateway spans (GenAI semconv + loopgate.*)', () => {
  const rows = rowsOf(gatewaySpans)
  const gatewayIngest: NormalizeContext = { tenantId: 'default', trustTenantAttribute: true }
  const req = rowsOf(gatewaySpans, gatewayIngest)['chat gpt-4o']!
  it("maps the canonical columns (from the gateway's trusted ingest)", () => {
    expect(req).toMatchObject({
      span_type: 'llm',
      operation: 'chat',
      convention: 'loopgate',
      provider: 'openai',
      request_model: 'smart',
      response_model: 'gpt-4o',
      route: 'smart',
      target: 'openai/gpt-4o',
      routing_version: 'v7',
      attempt: 2,
      input_tokens: 1000,
      output_tokens: 100,
      cache_read_tokens: 200,
      cache_write_tokens: 0,
      cost_usd: '0.00225',
      cost_source: 'provided',
      ttft_ns: '123456000',
      finish_reason: 'stop',
      session_id: 'sess-gw',
      user_id: 'user-gw',
      billable: 1,
      is_error: 0,
      ServiceName: 'agent',
      SpanKind: 'Server',
    })
    expect(req.SpanAttributes['loopgate.tenant.id']).toBe('acme')
  })
  it('leaves the gateway columns empty for untrusted ingest (the attributes stay in SpanAttributes)', () => {
    const untrusted = rows['chat gpt-4o']!
    expect(untrusted).toMatchObject({
      route: '',
      target: '',
      routing_version: '',
      attempt: 0,
      billable: 1,
      session_id: 'sess-gw',
    })
    expect(untrusted.SpanAttributes['loopgate.route']).toBe('smart')
  })
  it('bills the request span, not its attempt children, which still carry usage and the propagated session', () => {
    const a1 = rows['attempt 1']!
    const a2 = rows['attempt 2']!
    expect([a1.billable, a2.billable]).toEqual([0, 0])
    expect([a1.span_type, a2.span_type]).toEqual(['llm', 'llm'])
    expect(a1.is_error).toBe(1)
    expect(a2.cost_source).toBe('computed')
    expect(a2.session_id).toBe('sess-gw')
  })
  it('never takes the tenant from an attribute of an untrusted ingest', () => {
    expect(Object.values(rows).map((r) => r.tenant_id)).toEqual(['default', 'default', 'default'])
  })
  it('takes it (for the whole trace) when the ingest is trusted', () => {
    const trusted = rowsOf(gatewaySpans, { tenantId: 'gateway', trustTenantAttribute: true })
    expect(Object.values(trusted).map((r) => r.tenant_id)).toEqual(['acme', 'acme', 'acme'])
  })
})

describe('OpenInference', () => {
  const rows = rowsOf(openInferenceSpans)
  it('maps LLM spans and assembles indexed messages', () => {
    expect(rows['ChatCompletion']).toMatchObject({
      span_type: 'llm',
      operation: 'chat',
      convention: 'openinference',
      provider: 'openai',
      request_model: 'gpt-4o-mini-2024-07-18',
      response_model: 'gpt-4o-mini-2024-07-18',
      input_tokens: 120,
      output_tokens: 30,
      cache_read_tokens: 100,
      cost_source: 'computed',
      billable: 1,
      session_id: 'sess-oi',
      user_id: 'user-oi',
    })
    expect(JSON.parse(rows['ChatCompletion']!.input_text)).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
    ])
    expect(JSON.parse(rows['ChatCompletion']!.output_text)).toEqual([{ role: 'assistant', content: 'hello' }])
  })
  it('classifies agent and retriever spans', () => {
    expect(rows['agent']).toMatchObject({
      span_type: 'agent',
      operation: 'agent',
      billable: 0,
      cost_usd: '0',
      cost_source: 'none',
      input_text: 'hi',
    })
    expect(rows['search']).toMatchObject({ span_type: 'retrieval', operation: 'retrieval', session_id: 'sess-oi' })
  })
})

describe('OpenLLMetry / Traceloop', () => {
  const rows = rowsOf(traceloopSpans)
  const llm = rows['anthropic.chat']!
  it('maps the LLM span, indexed prompts and association properties', () => {
    expect(llm).toMatchObject({
      span_type: 'llm',
      operation: 'chat',
      convention: 'traceloop',
      provider: 'anthropic',
      request_model: 'claude-sonnet-4-20250514',
      output_tokens: 20,
      finish_reason: 'end_turn',
      session_id: 'sess-tl',
      user_id: 'user-tl',
      billable: 1,
    })
    expect(JSON.parse(llm.input_text)).toEqual([{ role: 'user', content: 'tell a joke' }])
    expect(rows['joke_workflow.workflow']).toMatchObject({ span_type: 'chain', operation: 'workflow', billable: 0 })
  })
  it('counts cache reads and writes inside input_tokens when the raw count cannot include them', () => {
    expect(llm).toMatchObject({ input_tokens: 50 + 4000 + 300, cache_read_tokens: 4000, cache_write_tokens: 300 })
  })
})

describe('Langfuse', () => {
  const rows = rowsOf(langfuseSpans)
  it('maps observation attributes, adds cached tokens to the disjoint input bucket, uses the provided cost', () => {
    expect(rows['openai-generation']).toMatchObject({
      span_type: 'llm',
      operation: 'chat',
      convention: 'langfuse',
      request_model: 'gpt-4o',
      response_model: 'gpt-4o',
      input_tokens: 1000,
      cache_read_tokens: 700,
      output_tokens: 50,
      cost_usd: '0.0017',
      cost_source: 'provided',
      session_id: 'sess-lf',
      user_id: 'user-lf',
      billable: 1,
    })
    expect(rows['openai-generation']!.input_text).toBe('[{"role":"user","content":"q"}]')
    // Langfuse names no provider: the price table knows whose model gpt-4o is.
    expect(rows['openai-generation']!.provider).toBe('openai')
    expect(rows['my-trace']).toMatchObject({ span_type: 'span', billable: 0 })
    expect(rows['my-trace']!.SpanAttributes['langfuse.trace.metadata.plan']).toBe('pro')
  })
})

describe('TTFT and finish reason from the producers that give them their own way', () => {
  /** One span whose start the test fixes, so an absolute first-token time gives a known TTFT. */
  function rowWith(attributes: Record<string, string>, start = new Date('2026-12-07T10:00:00.000Z')): SpanRow {
    const request = emit({ name: 'gen', attributes: { 'langfuse.observation.type': 'generation', ...attributes } })
    const span = request.resourceSpans[0]!.scopeSpans[0]!.spans[0]!
    span.startTimeUnixNano = String(BigInt(start.getTime()) * 1_000_000n)
    span.endTimeUnixNano = String(BigInt(start.getTime() + 5_000) * 1_000_000n)
    const result = new Normalizer().normalize(request, ctx)
    expect(result.rejected).toBe(0)
    return result.rows[0]!
  }

  it("reads Langfuse's completion_start_time as the first token's time (JSON-quoted or not, to the nanosecond)", () => {
    expect(rowWith({ 'langfuse.observation.completion_start_time': '"2026-12-07T10:00:00.250Z"' }).ttft_ns).toBe(
      '250000000',
    )
    expect(rowWith({ 'langfuse.observation.completion_start_time': '2026-12-07T10:00:01.000123456Z' }).ttft_ns).toBe(
      '1000123456',
    )
    expect(rowWith({ 'langfuse.observation.completion_start_time': '2026-12-07T11:00:00.5+01:00' }).ttft_ns).toBe(
      '500000000',
    )
    // Before the span started, or unreadable: not a TTFT.
    expect(rowWith({ 'langfuse.observation.completion_start_time': '2026-12-07T09:59:59Z' }).ttft_ns).toBe('0')
    expect(rowWith({ 'langfuse.observation.completion_start_time': 'soon' }).ttft_ns).toBe('0')
  })

  it("infers a model call's provider from the price table when no attribute names it, and only for model calls", () => {
    expect(rowWith({ 'langfuse.observation.model.name': 'claude-3-5-sonnet-20241022' }).provider).toBe('anthropic')
    expect(rowWith({ 'langfuse.observation.model.name': 'my-own-finetune' }).provider).toBe('')
    expect(rowWith({ 'langfuse.observation.model.name': 'gpt-4o', 'gen_ai.system': 'azure.ai.openai' }).provider).toBe(
      'azure.ai.openai',
    )
  })

  it('maps llm.finish_reason (OpenInference-style instrumentations)', () => {
    expect(rowWith({ 'llm.finish_reason': 'length' }).finish_reason).toBe('length')
  })
})

describe('Vercel AI SDK', () => {
  const rows = rowsOf(vercelSpans)
  it('bills only the inner doGenerate span, never the outer wrapper with the same usage', () => {
    const inner = rows['ai.generateText.doGenerate']!
    const outer = rows['ai.generateText']!
    expect(inner).toMatchObject({
      span_type: 'llm',
      operation: 'chat',
      convention: 'vercel_ai',
      provider: 'openai',
      request_model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2024-07-18',
      input_tokens: 2000,
      output_tokens: 10,
      cache_read_tokens: 1500,
      finish_reason: 'stop',
      output_text: 'hello',
      ttft_ns: '87500000',
      cost_source: 'computed',
      billable: 1,
      session_id: 'sess-v',
      user_id: 'user-v',
    })
    expect(outer).toMatchObject({
      span_type: 'chain',
      billable: 0,
      cost_usd: '0',
      cost_source: 'none',
      session_id: 'sess-v',
    })
    expect(rows['ai.toolCall']).toMatchObject({ span_type: 'tool', billable: 0, session_id: 'sess-v' })
  })
})

describe('older GenAI semconv', () => {
  it('maps gen_ai.system, prompt/completion tokens and content events', () => {
    const row = rowsOf(oldGenAiSpans)['chat gpt-4o']!
    expect(row).toMatchObject({
      span_type: 'llm',
      operation: 'chat',
      convention: 'genai',
      provider: 'openai',
      input_tokens: 1000,
      output_tokens: 100,
      input_text: '[{"role":"user","content":"hi"}]',
      output_text: '[{"role":"assistant","content":"yo"}]',
      billable: 1,
    })
    expect(row['Events.Name']).toEqual(['gen_ai.content.prompt', 'gen_ai.content.completion'])
  })
})

describe('precedence conflicts', () => {
  it('takes the first source of the table when two conventions disagree on one span', () => {
    const row = rowsOf({
      name: 'both',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'llm.model_name': 'other-model',
        'session.id': 's-otel',
        'langfuse.session.id': 's-langfuse',
        'gen_ai.usage.input_tokens': 10,
        'llm.token_count.prompt': 99,
        'gen_ai.provider.name': 'openai',
        'llm.provider': 'azure',
        'loopgate.cost_usd': '0.5',
        'llm.cost.total': 0.9,
      },
    })['both']!
    expect(row).toMatchObject({
      request_model: 'gpt-4o',
      response_model: 'other-model',
      session_id: 's-otel',
      input_tokens: 10,
      provider: 'openai',
      cost_usd: '0.5',
    })
  })
  it('falls back to the next source when the first is not a usable value', () => {
    const row = rowsOf({
      name: 'x',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'm',
        'gen_ai.usage.input_tokens': 'lots',
        'llm.token_count.prompt': 7,
      },
    })['x']!
    expect(row.input_tokens).toBe(7)
  })
})

describe('cost', () => {
  it('computes from the price table exactly: rate × tokens with no float error', () => {
    const row = rowsOf({
      name: 'c',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 100,
        'gen_ai.usage.cache_read.input_tokens': 200,
      },
    })['c']!
    const table = calcPrice({ input_tokens: 1000, output_tokens: 100, cache_read_tokens: 200 }, 'gpt-4o', {
      providerId: 'openai',
    })!
    const p = table.model_price as Record<string, number>
    // (800 × input + 200 × cache_read + 100 × output) per million, in exact decimal.
    const micro = (n: number) => BigInt(Math.round(n * 1e6)) // the table's rates have ≤ 6 decimals
    const expected = 800n * micro(p.input_mtok!) + 200n * micro(p.cache_read_mtok!) + 100n * micro(p.output_mtok!)
    expect(row.cost_source).toBe('computed')
    expect(row.cost_usd).toBe(formatMicroMicro(expected))
    expect(Number(row.cost_usd)).toBeCloseTo(table.total_price, 12)
  })
  it('is zero with source none when the model is unknown', () => {
    const row = rowsOf({
      name: 'u',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'my-private-model',
        'gen_ai.usage.input_tokens': 5,
      },
    })['u']!
    expect(row).toMatchObject({ cost_usd: '0', cost_source: 'none', billable: 1 })
  })
})

/** units of 10^-12 USD (tokens × $/Mtok × 10^6 / 10^6) → decimal string. */
function formatMicroMicro(units: bigint): string {
  const s = units.toString().padStart(13, '0')
  return `${s.slice(0, -12)}.${s.slice(-12)}`.replace(/\.?0+$/, '')
}

describe('session and user propagation', () => {
  it('fills later requests of the same trace from the LRU cache, per ingest tenant', () => {
    const normalizer = new Normalizer()
    const req = emit(openInferenceSpans)
    const all = req.resourceSpans[0]!.scopeSpans[0]!.spans
    const agent = all.find((s) => s.name === 'agent')!
    const others = all.filter((s) => s !== agent)
    const only = (spans: typeof all) => ({
      resourceSpans: [{ ...req.resourceSpans[0]!, scopeSpans: [{ ...req.resourceSpans[0]!.scopeSpans[0]!, spans }] }],
    })
    // Strip the session from the children so only the agent span carries it.
    for (const s of others) s.attributes = s.attributes.filter((kv) => kv.key !== 'session.id' && kv.key !== 'user.id')
    normalizer.normalize(only([agent]), ctx)
    const later = normalizer.normalize(only(others), ctx).rows
    expect(later.map((r) => [r.session_id, r.user_id])).toEqual([
      ['sess-oi', 'user-oi'],
      ['sess-oi', 'user-oi'],
    ])
    const otherTenant = normalizer.normalize(only(others), {
      tenantId: 'someone-else',
      trustTenantAttribute: false,
    }).rows
    expect(otherTenant.map((r) => r.session_id)).toEqual(['', ''])
  })
})

describe('tenant isolation of trace context', () => {
  const T = 'ab'.repeat(16)
  let n = 0
  const span = (attrs: Record<string, string>, parent = ''): import('../../collector/otlp/model.ts').Span => ({
    traceId: T,
    spanId: (++n).toString(16).padStart(16, '0'),
    parentSpanId: parent,
    traceState: '',
    flags: 0,
    name: `s${n}`,
    kind: 1,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000001000000000',
    events: [],
    links: [],
    status: { code: 0, message: '' },
    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })),
  })
  const request = (spans: ReturnType<typeof span>[]) => ({
    resourceSpans: [
      {
        resource: { attributes: [] },
        schemaUrl: '',
        scopeSpans: [{ scope: { name: '', version: '', attributes: [] }, schemaUrl: '', spans }],
      },
    ],
  })
  const gateway: NormalizeContext = { tenantId: 'default', trustTenantAttribute: true }

  it("resolves each trusted span's tenant from its own attribute or its ancestors, and keeps sessions per tenant", () => {
    const normalizer = new Normalizer()
    const a = span({ 'loopgate.tenant.id': 'alpha', 'session.id': 'sa' })
    const b = span({ 'loopgate.tenant.id': 'beta', 'session.id': 'sb' })
    const aChild = span({}, a.spanId)
    const bChild = span({}, b.spanId)
    const bGrandchild = span({}, bChild.spanId)
    const rows = normalizer.normalize(request([a, b, aChild, bGrandchild, bChild]), gateway).rows
    expect(rows.map((r) => [r.SpanName, r.tenant_id, r.session_id])).toEqual([
      [a.name, 'alpha', 'sa'],
      [b.name, 'beta', 'sb'],
      [aChild.name, 'alpha', 'sa'],
      [bGrandchild.name, 'beta', 'sb'],
      [bChild.name, 'beta', 'sb'],
    ])
    // Later, without an ancestor in the request: the trace names two tenants, so the span is nobody's but its ingest's.
    const [orphan] = normalizer.normalize(request([span({})]), gateway).rows
    expect([orphan!.tenant_id, orphan!.session_id]).toEqual(['default', ''])
    // An untrusted ingest of the same trace id stays its own tenant and inherits nothing.
    const [spoof] = normalizer.normalize(request([span({ 'loopgate.tenant.id': 'beta' }, b.spanId)]), {
      tenantId: 'default',
      trustTenantAttribute: false,
    }).rows
    expect([spoof!.tenant_id, spoof!.session_id]).toEqual(['default', ''])
  })

  it('lets a trace with a single gateway tenant lend it to later attribute-less spans of the trusted ingest', () => {
    const normalizer = new Normalizer()
    const root = span({ 'loopgate.tenant.id': 'gamma', 'user.id': 'ug' })
    normalizer.normalize(request([root]), gateway)
    const [later] = normalizer.normalize(request([span({})]), gateway).rows
    expect([later!.tenant_id, later!.user_id]).toEqual(['gamma', 'ug'])
  })
})
