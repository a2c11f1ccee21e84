import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { start } from '../../gateway/index.ts'
import { startSimulator } from '../../gateway/simulator/index.ts'
import { KEY, PROVIDER_KEY, jsonHeaders, post, startHarness, type Harness } from './harness.ts'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CLIENT_SPAN = '00f067aa0ba902b7'

describe('spans', () => {
  it('one request span with a child per attempt, nested in the client trace, without secrets', async () => {
    h = await startHarness({
      gateway: () => ({
        routes: [
          {
            name: 'r',
            capture: 'on',
            targets: [
              { provider: 'sim', model: 'a', weight: 1, price: { input: '1', output: '2' } },
              { provider: 'sim', model: 'b', weight: 0, price: { input: '1', output: '2' } },
            ],
          },
        ],
      }),
    })
    h.sim.script('a', { kind: 'error', status: 500 })
    const r = await post(
      `${h.url}/v1/chat/completions`,
      { model: 'r', messages: [{ role: 'user', content: 'secret-free prompt' }] },
      {
        ...jsonHeaders(),
        traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`,
        'x-loopgate-session-id': 'sess-1',
        'x-loopgate-user-id': 'user-9',
      },
    )
    expect(r.status).toBe(200)
    expect(r.headers.get('x-loopgate-trace-id')).toBe(CLIENT_TRACE)
    const spans = await h.spans()
    const request = spans.find((s) => s.attributes['loopgate.span'] === 'request')!
    const attempts = spans
      .filter((s) => s.attributes['loopgate.span'] === 'attempt')
      .sort((a, b) => Number(a.attributes['loopgate.attempt']) - Number(b.attributes['loopgate.attempt']))
    expect(request.spanContext().traceId).toBe(CLIENT_TRACE)
    expect(request.parentSpanContext?.spanId).toBe(CLIENT_SPAN)
    expect(attempts).toHaveLength(2)
    for (const a of attempts) {
      expect(a.parentSpanContext?.spanId).toBe(request.spanContext().spanId)
      expect(a.spanContext().traceId).toBe(CLIENT_TRACE)
    }
    expect(attempts[0]!.attributes).toMatchObject({
      'loopgate.target': 'sim/a',
      'error.type': '500',
      'loopgate.attempt': 1,
    })
    expect(attempts[1]!.attributes).toMatchObject({
      'loopgate.target': 'sim/b',
      'loopgate.attempt': 2,
      'gen_ai.usage.output_tokens': 16,
    })
    expect(request.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'sim',
      'gen_ai.request.model': 'r',
      'gen_ai.response.model': 'b',
      'gen_ai.usage.input_tokens': 5,
      'gen_ai.usage.output_tokens': 16,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.response.finish_reasons': ['stop'],
      'loopgate.tenant.id': 'acme',
      'loopgate.route': 'r',
      'loopgate.target': 'sim/b',
      'loopgate.attempt': 2,
      'loopgate.routing.version': 1,
      'loopgate.cost_usd': '0.000037',
      'session.id': 'sess-1',
      'user.id': 'user-9',
    })
    expect(JSON.parse(String(request.attributes['gen_ai.input.messages']))[0].parts[0].content).toBe(
      'secret-free prompt',
    )
    expect(String(request.attributes['gen_ai.output.messages'])).toMatch(/assistant/)
    const everything = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events, s.resource.attributes]))
    expect(everything).not.toContain(PROVIDER_KEY)
    expect(everything).not.toContain(KEY)
  })

  it('redacts captured content when the route says so', async () => {
    h = await startHarness({
      gateway: () => ({ routes: [{ name: 'r', capture: 'redacted', targets: [{ provider: 'sim', model: 'a' }] }] }),
    })
    await post(`${h.url}/v1/chat/completions`, { model: 'r', messages: [{ role: 'user', content: 'private words' }] })
    const request = (await h.spans()).find((s) => s.attributes['loopgate.span'] === 'request')!
    expect(String(request.attributes['gen_ai.input.messages'])).not.toContain('private words')
    expect(String(request.attributes['gen_ai.input.messages'])).toContain('[redacted]')
  })

  it('exports OTLP protobuf to the collector with the bearer token and no secret on the wire', async () => {
    const received: { auth?: string; type?: string; body: Buffer }[] = []
    const sink: Server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        received.push({
          auth: req.headers.authorization,
          type: req.headers['content-type'],
          body: Buffer.concat(chunks),
        })
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
      })
    })
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r))
    const sim = await startSimulator({ apiKeys: [PROVIDER_KEY] })
    const gw = await start({
      gateway: {
        port: 0,
        dataDir: (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/lg-`),
        providers: { sim: { protocol: 'openai', baseUrl: sim.openaiBaseUrl, apiKeyEnv: 'K' } },
        routes: [{ name: 'r', targets: [{ provider: 'sim', model: 'a' }] }],
        tenants: [{ id: 'acme', keys: [{ key: KEY }] }],
        telemetry: { collectorUrl: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`, scheduledDelayMs: 50 },
      },
      exportToken: 'internal-token-for-collector',
      env: { K: PROVIDER_KEY },
      logger: pino({ level: 'silent' }),
    })
    try {
      expect(
        (await post(`${gw.url}/v1/chat/completions`, { model: 'r', messages: [{ role: 'user', content: 'x' }] }))
          .status,
      ).toBe(200)
      await gw.flushTelemetry()
      expect(received.length).toBeGreaterThan(0)
      const all = Buffer.concat(received.map((r) => r.body))
      expect(received[0]!.auth).toBe('Bearer internal-token-for-collector')
      expect(received[0]!.type).toBe('application/x-protobuf')
      expect(all.includes('loopgate.tenant.id')).toBe(true)
      expect(all.includes('acme')).toBe(true)
      expect(all.includes(PROVIDER_KEY)).toBe(false)
      expect(all.includes(KEY)).toBe(false)
    } finally {
      await gw.close()
      await sim.close()
      sink.close()
    }
  })
})
