import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, jsonHeaders, sleep, startHarness, type Harness } from './harness.ts'

// The streamed relay is pushed chunk by chunk from undici's dispatch API (no Readable in between):
// a slow client must pause the upstream and resume it, a client that leaves must end the upstream
// call, and a stream stalled past its total timeout must end with the in-band error.

const DELTAS = 40_000 // ~6 MB of SSE: more than the loopback socket buffers take, so writes back up

let h: Harness
beforeAll(async () => {
  h = await startHarness({
    sim: { models: { 'sim-long': { outputTokens: DELTAS }, 'sim-stall': { outputTokens: 40 } } },
    gateway: () => ({
      routes: [
        { name: 'long', targets: [{ provider: 'sim', model: 'sim-long', price: { input: '0.15', output: '0.6' } }] },
        { name: 'stall', targets: [{ provider: 'sim', model: 'sim-stall' }] },
        {
          name: 'stall-timeout',
          targets: [{ provider: 'sim', model: 'sim-stall' }],
          policy: { maxAttempts: 1, timeouts: { totalMs: 400 } },
        },
      ],
    }),
  })
})
afterAll(async () => {
  await h?.close()
})

const body = (model: string) =>
  JSON.stringify({
    model,
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'a long story' }],
  })

/** A stream read by a client that stops reading for `pauseMs` after its first bytes. */
function slowRead(model: string, pauseMs: number): Promise<{ text: string; trailers: NodeJS.Dict<string> }> {
  const url = new URL(`${h.url}/v1/chat/completions`)
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: jsonHeaders() }, (res) => {
      const parts: Buffer[] = []
      let paused = false
      res.on('data', (c: Buffer) => {
        parts.push(c)
        if (paused) return
        paused = true
        res.pause()
        setTimeout(() => res.resume(), pauseMs)
      })
      res.on('end', () => resolve({ text: Buffer.concat(parts).toString(), trailers: res.trailers }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body(model))
  })
}

describe('the streamed relay', () => {
  it('pauses the upstream for a slow client and delivers the whole answer, billed exactly', async () => {
    const { text, trailers } = await slowRead('long', 500)
    const frames = text.split('\n\n').filter(Boolean)
    expect(frames.at(-1)).toBe('data: [DONE]')
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice('data: '.length)))
    const usage = chunks.at(-1).usage
    const deltas = chunks.filter((c) => c.choices?.[0]?.delta?.content !== undefined && !c.choices[0].delta.role)
    expect(usage.completion_tokens).toBe(DELTAS)
    expect(deltas).toHaveLength(DELTAS)
    // The trailer's cost is the usage at the route's price: (input × 0.15 + output × 0.6) per million.
    const expected = (usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.6) / 1e6
    expect(Number(trailers['x-loopgate-cost-usd'])).toBeCloseTo(expected, 12)
  }, 60_000)

  it('ends the upstream call when the client leaves mid-stream', async () => {
    h.sim.reset()
    h.sim.script('sim-stall', { kind: 'stall' })
    const ac = new AbortController()
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: jsonHeaders(),
      body: body('stall'),
      signal: ac.signal,
    })
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toContain('"content"')
    ac.abort()
    // The gateway cancels its upstream call: the simulator sees its stalled answer's connection close.
    await eventually(() => h.sim.requests.some((r) => r.model === 'sim-stall' && r.aborted))
    await sleep(50)
    const spans = await h.spans()
    const request = spans.find(
      (s) => s.attributes['loopgate.route'] === 'stall' && s.attributes['loopgate.span'] === 'request',
    )
    expect(request?.attributes['error.type']).toBe('client_disconnected')
    expect(request?.attributes['loopgate.usage.cut']).toBe(true)
  })

  it('ends a stalled stream at the total timeout with the in-band error', async () => {
    h.sim.script('sim-stall', { kind: 'stall' })
    const started = Date.now()
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: jsonHeaders(),
      body: body('stall-timeout'),
    })
    const text = await res.text()
    expect(res.status).toBe(200)
    expect(text).toContain('"content"')
    expect(text).toContain('upstream stream failed: upstream did not finish within 400 ms')
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})
