import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KEY, eventually, jsonHeaders, post, startHarness, type Harness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness({
    gateway: () => ({ maxBodyBytes: 64 * 1024, maxN: 4 }),
    sim: { models: { slow: { tokensPerSecond: 20, outputTokens: 200 } } },
  })
})
afterAll(() => h.close())

const chatUrl = () => `${h.url}/v1/chat/completions`
const msgUrl = () => `${h.url}/v1/messages`
const ok = { model: 'chat', messages: [{ role: 'user', content: 'x' }] }

describe('bad input gets a protocol-shaped 4xx', () => {
  it('invalid JSON', async () => {
    const r = await post(chatUrl(), '{"model": ', jsonHeaders())
    expect(r.status).toBe(400)
    expect(r.json.error.type).toBe('invalid_request_error')
    const a = await post(msgUrl(), '{oops', jsonHeaders())
    expect(a.status).toBe(400)
    expect(a.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
  })

  it('missing or wrong key', async () => {
    expect((await post(chatUrl(), ok, { 'content-type': 'application/json' })).json.error.code).toBe('missing_api_key')
    const wrong = await post(chatUrl(), ok, jsonHeaders('not-a-real-key-1234'))
    expect(wrong.status).toBe(401)
    expect(wrong.json.error.code).toBe('invalid_api_key')
    const a = await post(
      msgUrl(),
      { ...ok, max_tokens: 5 },
      { 'content-type': 'application/json', 'x-api-key': 'bad-key-123456789' },
    )
    expect(a.status).toBe(401)
    expect(a.json.error.type).toBe('authentication_error')
  })

  it('unknown model', async () => {
    const r = await post(chatUrl(), { ...ok, model: 'gpt-nothing' })
    expect(r.status).toBe(404)
    expect(r.json.error).toMatchObject({ code: 'model_not_found', param: 'model' })
  })

  it('oversized body', async () => {
    const r = await post(chatUrl(), { ...ok, messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] })
    expect(r.status).toBe(413)
    expect(r.json.error.message).toMatch(/larger than 65536 bytes/)
  })

  it('wrong types and n too large', async () => {
    const cases: [unknown, string][] = [
      [{ model: 'chat', messages: 'hello' }, 'messages'],
      [{ model: 'chat', messages: [] }, 'messages'],
      [{ model: 42, messages: ok.messages }, 'model'],
      [{ ...ok, temperature: 'hot' }, 'temperature'],
      [{ ...ok, stream: 'yes' }, 'stream'],
      [{ ...ok, n: 5 }, 'n'],
      [{ ...ok, n: 1.5 }, 'n'],
      [[1, 2], ''],
    ]
    for (const [body, param] of cases) {
      const r = await post(chatUrl(), body)
      expect(r.status, JSON.stringify(body)).toBe(400)
      if (param) expect(r.json.error.param).toBe(param)
    }
    const a = await post(msgUrl(), { model: 'claude', messages: [{ role: 'user', content: 'x' }] })
    expect(a.status).toBe(400)
    expect(a.json.error.message).toMatch(/max_tokens/)
    expect(h.sim.requests.length).toBe(0) // nothing reached the upstream
  })

  it('every refusal is counted in /metrics by reason (DESIGN rule 4)', async () => {
    const counted = async () => {
      const text = await (await fetch(`${h.url}/metrics`)).text()
      return (reason: string) =>
        Number(new RegExp(`^loopgate_gateway_events_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
    }
    const before = await counted()
    expect((await post(chatUrl(), '{"model": ', jsonHeaders())).status).toBe(400)
    expect((await post(chatUrl(), { ...ok, temperature: 'hot' })).status).toBe(400)
    expect((await post(chatUrl(), ok, jsonHeaders('not-a-real-key-1234'))).status).toBe(401)
    expect(
      (await post(chatUrl(), { ...ok, messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] })).status,
    ).toBe(413)
    const after = await counted()
    expect(after('invalid_request') - before('invalid_request')).toBe(2)
    expect(after('unauthorized') - before('unauthorized')).toBe(1)
    expect(after('body_too_large') - before('body_too_large')).toBe(1)
  })

  it('a client that disconnects mid-stream cancels the upstream call, and the gateway carries on', async () => {
    await h.close() // restart with a route to the slow model
    h = await startHarness({
      gateway: () => ({ routes: [{ name: 'slow', targets: [{ provider: 'sim', model: 'slow' }] }] }),
      sim: { models: { slow: { tokensPerSecond: 20, outputTokens: 200 } } },
    })
    const body = JSON.stringify({
      model: 'slow',
      stream: true,
      messages: [{ role: 'user', content: 'long answer please' }],
    })
    await new Promise<void>((resolve, reject) => {
      const url = new URL(`${h.url}/v1/chat/completions`)
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        },
        (res) => {
          expect(res.statusCode).toBe(200)
          let frames = 0
          res.on('data', () => {
            if (++frames === 3) {
              req.destroy()
              resolve()
            }
          })
        },
      )
      req.on('error', (e) =>
        e.message.includes('aborted') || e.message.includes('socket hang up') ? undefined : reject(e),
      )
      req.end(body)
    })
    await eventually(() => h.sim.inFlight() === 0)
    expect(h.sim.requests[0]!.aborted).toBe(true)
    const next = await post(`${h.url}/v1/chat/completions`, {
      model: 'slow',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 2,
    })
    expect(next.status).toBe(200)
  })
})
