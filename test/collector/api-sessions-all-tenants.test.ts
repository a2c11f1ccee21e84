import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CollectorClient } from '../../collector/client.ts'
import { nsAgo, startApiHarness, type ApiHarness } from '../helpers/api-fixtures.ts'
import { spanRow } from '../helpers/span-row.ts'

// The administrator's all-tenant session list aggregates only the sessions with a recent row, and
// must still give the same pages as aggregating everything: also when a session's early rows sit
// in other, not yet merged parts of the rollup.
let h: ApiHarness
const base = nsAgo(2 * 60 * 60_000)
const at = (seconds: number) => (base + BigInt(seconds) * 1_000_000_000n).toString()

/** Session → its true start (seconds after base), the newest first is the expected order. */
const starts = new Map<string, number>()
/** Session → its user (the largest user id of its spans). */
const users = new Map<string, string>()

function session(tenant: string, id: string, user: string, ...seconds: number[]) {
  const key = `${tenant}/${id}`
  starts.set(key, Math.min(...seconds, starts.get(key) ?? Infinity))
  if (user > (users.get(key) ?? '')) users.set(key, user)
  return seconds.map((s) => spanRow({ tenant_id: tenant, session_id: id, user_id: user, Timestamp: at(s) }))
}

beforeAll(async () => {
  h = await startApiHarness()
  await h.db.command({ query: 'SYSTEM STOP MERGES loopgate.sessions' }) // keep partial rows apart, as under load
  // 30 one-row sessions, alternating tenants, a second apart.
  await h.insertSpans(
    Array.from({ length: 30 }, (_, i) =>
      session(i % 2 ? 'acme' : 'globex', `n-${String(i).padStart(2, '0')}`, i % 3 ? 'bob' : 'ann', 100 + i),
    ).flat(),
  )
  // Sessions whose newest rows are the newest of all but whose first rows came in earlier INSERTs:
  // their rollup rows stay in separate parts, and their true starts are old. Their users are known
  // only from the newest rows.
  for (let i = 0; i < 14; i++) await h.insertSpans(session('acme', `late-${i}`, '', 10 + i))
  await h.insertSpans(
    Array.from({ length: 14 }, (_, i) => session('acme', `late-${i}`, i % 2 ? 'bob' : 'ann', 1000 + i)).flat(),
  )
}, 120_000)

afterAll(async () => h?.close())

const expected = () => [...starts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1)).map(([k]) => k)

async function listAll(
  client: CollectorClient,
  limit: number,
  filter: { user?: string; q?: string } = {},
): Promise<string[]> {
  const out: string[] = []
  let cursor: string | undefined
  for (let page = 0; page < 100; page++) {
    const res = await client.listSessions({
      from: new Date(Number(base / 1_000_000n) - 60_000).toISOString(),
      limit,
      cursor,
      ...filter,
    })
    expect(res.sessions.length).toBeLessThanOrEqual(limit)
    out.push(...res.sessions.map((s) => `${s.tenant_id}/${s.session_id}`))
    for (const s of res.sessions) expect(s.start_ns).toBe(at(starts.get(`${s.tenant_id}/${s.session_id}`)!))
    if (!res.next_cursor) return out
    cursor = res.next_cursor
  }
  throw new Error('no end of pages')
}

describe('GET /api/sessions for all tenants', () => {
  it('pages newest first by true start though the newest rows belong to old sessions', async () => {
    // limit 2: the threshold row is the 12th newest, a late-* row; pages of n-* are exact, the
    // page after them has only late-* candidates and is aggregated whole.
    expect(await listAll(h.admin, 2)).toEqual(expected())
  })

  it('gives the same pages with a larger limit (every row under the threshold count)', async () => {
    expect(await listAll(h.admin, 200)).toEqual(expected())
  })

  it('pages a user or text filter the same way', async () => {
    expect(await listAll(h.admin, 2, { user: 'ann' })).toEqual(expected().filter((k) => users.get(k) === 'ann'))
    expect(await listAll(h.admin, 3, { q: 'LATE-1' })).toEqual(expected().filter((k) => k.includes('/late-1')))
    expect(await listAll(h.admin, 2, { q: 'bo' })).toEqual(expected().filter((k) => users.get(k) === 'bob'))
  })

  it('gives the same order as a tenant-scoped list within that tenant', async () => {
    const acme = await listAll(h.tenant('acme'), 7)
    expect(acme).toEqual(expected().filter((k) => k.startsWith('acme/')))
  })
})
