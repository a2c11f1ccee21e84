// Closed error codes (issue 19): every error a client receives carries a code of ERROR_CODES, sent
// with that code's status and counted under its reason in the prom-client /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES, EVENT_REASONS, type ErrorCode } from '../../gateway/errors.ts'
import { KEY, jsonHeaders, post, startHarness, type Harness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ gateway: () => ({ maxBodyBytes: 64 * 1024 }) })
})
afterAll(() => h.close())

const events = async (): Promise<(reason: string) => number> => {
  const text = await (await fetch(`${h.url}/metrics`)).text()
  return (reason) =>
    Number(new RegExp(`^loopgate_gateway_events_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
}

describe('closed error codes', () => {
  it('every code has one status, a retryability and a known reason', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(spec.status, code).toBeGreaterThanOrEqual(400)
      if (spec.reason !== undefined) expect(EVENT_REASONS, code).toContain(spec.reason)
      else expect('countedAs' in spec && spec.countedAs.length > 0, `${code} says where it is counted`).toBe(true)
      // Retryable answers are rate limits and server-side states; a client's own mistake is not.
      if (spec.status < 500 && spec.status !== 429) expect(spec.retryable, code).toBe(false)
    }
  })

  it("Fastify's and unknown paths' refusals carry a closed code with its status, and are counted", async () => {
    const before = await events()
    const cases: { send: () => Promise<{ status: number; json: { error: { code: ErrorCode } } }>; code: ErrorCode }[] =
      [
        { send: () => post(`${h.url}/v1/chat/completions`, '{"model": ', jsonHeaders()), code: 'invalid_request' },
        {
          send: () =>
            post(`${h.url}/v1/chat/completions`, {
              model: 'chat',
              messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }],
            }),
          code: 'body_too_large',
        },
        {
          send: () =>
            post(`${h.url}/v1/chat/completions`, '<x/>', {
              'content-type': 'application/xml',
              authorization: `Bearer ${KEY}`,
            }),
          code: 'unsupported_media_type',
        },
        { send: () => post(`${h.url}/v1/nothing-here`, {}), code: 'not_found' },
        {
          send: () =>
            post(`${h.url}/v1/chat/completions`, { model: 'gpt-nothing', messages: [{ role: 'user', content: 'x' }] }),
          code: 'model_not_found',
        },
      ]
    for (const c of cases) {
      const r = await c.send()
      expect({ status: r.status, code: r.json.error.code }).toEqual({
        status: ERROR_CODES[c.code].status,
        code: c.code,
      })
    }
    const after = await events()
    for (const c of cases) {
      const reason = ERROR_CODES[c.code].reason ?? 'none'
      expect(after(reason) - before(reason), reason).toBeGreaterThanOrEqual(1)
    }
  })

  it('serves /metrics from a prom-client registry (HELP/TYPE per metric, process defaults)', async () => {
    const res = await fetch(`${h.url}/metrics`)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(text).toContain('# TYPE loopgate_gateway_events_total counter')
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m)
  })
})
