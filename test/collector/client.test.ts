import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CollectorApiError, CollectorClient, nsToDate } from '../../collector/client.ts'
import { startApiHarness, type ApiHarness } from '../helpers/api-fixtures.ts'

let h: ApiHarness

beforeAll(async () => {
  h = await startApiHarness()
}, 120_000)

afterAll(async () => h?.close())

describe('CollectorClient', () => {
  it('throws CollectorApiError with the status, the API message and the field', async () => {
    const err = await h.admin.listSessions({ limit: 0 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CollectorApiError)
    expect(err).toMatchObject({ status: 400, field: 'limit' })
    expect((err as Error).message).toMatch(/limit/)
    const unauth = await new CollectorClient({ baseUrl: h.collector.url, token: 'nope' })
      .tenants()
      .catch((e: unknown) => e)
    expect(unauth).toMatchObject({ status: 401 })
  })

  it('uses the given fetch and tolerates a trailing slash in the base URL', async () => {
    const seen: string[] = []
    const client = new CollectorClient({
      baseUrl: `${h.collector.url}/`,
      token: 'acme-read',
      fetch: (input, init) => {
        seen.push(String(input))
        return fetch(input, init)
      },
    })
    expect(await client.tenants()).toEqual({ tenants: ['acme'], admin: false })
    await client.listScores({ name: 'a b', limit: 5, trace_id: undefined })
    expect(seen).toEqual([`${h.collector.url}/api/tenants`, `${h.collector.url}/api/scores?name=a+b&limit=5`])
  })

  it('reports an unreachable collector as status 0', async () => {
    const client = new CollectorClient({ baseUrl: 'http://127.0.0.1:1', token: 'x' })
    await expect(client.tenants()).rejects.toMatchObject({ status: 0 })
  })

  it('converts nanosecond strings to dates', () => {
    expect(nsToDate('1700000000123456789').toISOString()).toBe('2023-11-14T22:13:20.123Z')
  })
})
