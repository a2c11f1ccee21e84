import { SpanStatusCode } from '@opentelemetry/api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, jsonHeaders, startHarness, type Harness } from '../gateway/harness.ts'

// Issue 15: a stream cut mid-way is a failed attempt (breaker and scoreboard), its attempt span
// has error status, and the settled usage says it was cut.

const admin = { authorization: `Bearer ${ADMIN}` }
type Board = {
  targets: { id: string; breaker: string; attempts: number; failures: number; lastError: { message: string } | null }[]
}

let h: Harness
beforeAll(async () => {
  h = await startHarness({
    gateway: () => ({
      routes: [
        {
          name: 'r',
          targets: [{ provider: 'sim', model: 'a' }],
          policy: { breaker: { failureThreshold: 2, cooldownMs: 60_000 } },
        },
        { name: 'r2', targets: [{ provider: 'sim', model: 'b' }] },
      ],
    }),
  })
})
afterAll(async () => {
  await h?.close()
})

async function stream(model = 'r'): Promise<{ status: number; text: string }> {
  const res = await fetch(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: jsonHeaders(),
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'tell me a story' }] }),
  })
  return { status: res.status, text: await res.text() }
}

describe('a stream cut mid-way', () => {
  it('is a failed attempt for the breaker and the scoreboard, with error status and usage marked cut', async () => {
    h.sim.script('a', { kind: 'cut' }, { kind: 'cut' })
    for (let i = 0; i < 2; i++) {
      const r = await stream()
      expect(r.status).toBe(200) // the 200 was gone before the cut
      expect(r.text).toContain('upstream stream failed')
      expect(r.text).toContain('"content"') // half of the answer came through
    }
    const a = ((await (await fetch(`${h.url}/admin/targets`, { headers: admin })).json()) as Board).targets.find(
      (x) => x.id === 'sim/a',
    )!
    console.log(
      `after 2 cut streams: attempts ${a.attempts}, failures ${a.failures}, breaker ${a.breaker}, last error ${a.lastError?.message}`,
    )
    expect(a).toMatchObject({ attempts: 2, failures: 2, breaker: 'open' })
    expect(a.lastError?.message).toMatch(/stream cut/)
    // The breaker is open: the next request is not sent to the target that cuts its streams.
    expect((await stream()).status).toBe(503)

    const spans = await h.spans()
    const attempts = spans.filter((s) => s.attributes['loopgate.span'] === 'attempt')
    const requests = spans.filter(
      (s) => s.attributes['loopgate.span'] === 'request' && s.attributes['loopgate.target'] === 'sim/a',
    )
    expect(attempts).toHaveLength(2)
    expect(requests).toHaveLength(2)
    for (const s of attempts) {
      expect(s.status.code).toBe(SpanStatusCode.ERROR)
      expect(s.attributes['error.type']).toBe('upstream_stream_failed')
      expect(s.attributes['loopgate.usage.cut']).toBe(true)
      expect(Number(s.attributes['gen_ai.usage.output_tokens'])).toBeGreaterThan(0) // settled on the deltas that came
    }
    for (const s of requests) {
      expect(s.status.code).toBe(SpanStatusCode.ERROR)
      expect(s.attributes['loopgate.usage.cut']).toBe(true)
    }
  })

  it('a complete stream is still a success', async () => {
    const before = ((await (await fetch(`${h.url}/admin/targets`, { headers: admin })).json()) as Board).targets.find(
      (x) => x.id === 'sim/a',
    )!
    expect(before.breaker).toBe('open')
    // Another route on another target: complete streams count as successes, usage not marked cut.
    h.exporter.reset()
    const r = await stream('r2')
    expect(r.status).toBe(200)
    expect(r.text).toContain('[DONE]')
    const b = ((await (await fetch(`${h.url}/admin/targets`, { headers: admin })).json()) as Board).targets.find(
      (x) => x.id === 'sim/b',
    )!
    expect(b).toMatchObject({ attempts: 1, failures: 0, breaker: 'closed' })
    const attempt = (await h.spans()).find((s) => s.attributes['loopgate.span'] === 'attempt')!
    expect(attempt.status.code).not.toBe(SpanStatusCode.ERROR)
    expect(attempt.attributes['loopgate.usage.cut']).toBeUndefined()
  })
})
