import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.ts'
import { hex, llmSpanRequest } from './stack.ts'

/**
 * The collector's /metrics lists tenant ids, so it needs the admin token or the metrics token;
 * and each key does only what docs/api.md says (an ingest key writes spans, it does not read).
 */
const METRICS_TOKEN = 'metrics-scrape-token-0001'
let collector: TestCollector

beforeAll(async () => {
  collector = await startTestCollector({
    tenants: [{ id: 'secret-tenant-name', ingestKeys: ['st-ingest-key'], readKeys: ['st-read-key'] }],
    collector: { metricsToken: METRICS_TOKEN },
  })
  // A span from the tenant, so its id appears in the per-tenant counters.
  const res = await fetch(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer st-ingest-key' },
    body: JSON.stringify(llmSpanRequest({ traceId: hex(16), tokens: 5 })),
  })
  expect(res.status).toBe(200)
}, 120_000)
afterAll(async () => collector?.close())

const get = (path: string, token?: string) =>
  fetch(`${collector.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })

describe('collector /metrics', () => {
  it('refuses callers without the admin or metrics token and never shows them tenant ids', async () => {
    for (const token of [undefined, 'wrong-token', 'st-ingest-key', 'st-read-key']) {
      const res = await get('/metrics', token)
      const body = await res.text()
      expect({ token, status: res.status, leaks: body.includes('secret-tenant-name') }).toEqual({
        token,
        status: 401,
        leaks: false,
      })
    }
  })

  it('serves the admin and the metrics token, and counts the refusals', async () => {
    const admin = await (await get('/metrics', ADMIN_TOKEN)).text()
    expect(admin).toContain('tenant="secret-tenant-name"')
    const scrape = await get('/metrics', METRICS_TOKEN)
    expect(scrape.status).toBe(200)
    expect(await scrape.text()).toMatch(/loopgate_collector_unauthorized_total\{endpoint="metrics"\} [1-9]/)
  })
})

describe('query API errors', () => {
  it('are counted by their closed code (collector/api/errors.ts)', async () => {
    expect((await get(`/api/traces/${hex(16)}`, ADMIN_TOKEN)).status).toBe(404)
    expect((await get('/api/sessions?limit=0', ADMIN_TOKEN)).status).toBe(400)
    const text = await (await get('/metrics', ADMIN_TOKEN)).text()
    expect(text).toMatch(/^loopgate_collector_api_errors_total\{code="not_found"\} [1-9]/m)
    expect(text).toMatch(/^loopgate_collector_api_errors_total\{code="invalid_request"\} [1-9]/m)
  })
})

describe('key permissions', () => {
  it('an ingest key writes spans but does not read the query API', async () => {
    expect((await get('/api/tenants', 'st-ingest-key')).status).toBe(401)
    expect((await get('/api/sessions', 'st-ingest-key')).status).toBe(401)
    expect((await get('/api/tenants', 'st-read-key')).status).toBe(200)
  })
})
