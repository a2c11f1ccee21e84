import { afterEach, describe, expect, it } from 'vitest'
import { ADMIN, eventually, post, startHarness, type Harness } from './harness.ts'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const chat = (model = 'r', extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
})
const route = (targets: unknown[], extra: Record<string, unknown> = {}) => ({
  routes: [{ name: 'r', targets, ...extra }],
})
const t = (model: string, weight = 1) => ({ provider: 'sim', model, weight })
const admin = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }

describe('routing policy', () => {
  it('splits traffic by weight within tolerance', async () => {
    h = await startHarness({ gateway: () => route([t('a', 3), t('b', 1)]) })
    const served: Record<string, number> = { 'sim/a': 0, 'sim/b': 0 }
    for (let i = 0; i < 400; i++) {
      const r = await post(`${h.url}/v1/chat/completions`, chat())
      expect(r.status).toBe(200)
      served[r.headers.get('x-loopgate-target')!]!++
    }
    expect(served['sim/a']! / 400).toBeGreaterThan(0.75 - 0.08)
    expect(served['sim/a']! / 400).toBeLessThan(0.75 + 0.08)
  })

  it('falls back to the next target on a 500, and on a first-byte timeout', async () => {
    h = await startHarness({
      gateway: () => route([t('a', 1), t('b', 0)], { policy: { timeouts: { firstByteMs: 300 } } }),
    })
    h.sim.script('a', { kind: 'error', status: 500 })
    const r1 = await post(`${h.url}/v1/chat/completions`, chat())
    expect(r1.status).toBe(200)
    expect(r1.headers.get('x-loopgate-target')).toBe('sim/b')
    h.sim.script('a', { kind: 'hang' })
    const r2 = await post(`${h.url}/v1/chat/completions`, chat())
    expect(r2.status).toBe(200)
    expect(r2.headers.get('x-loopgate-target')).toBe('sim/b')
    expect(h.sim.requests.map((r) => r.model)).toEqual(['a', 'b', 'a', 'b'])
    await eventually(() => h!.sim.inFlight() === 0) // the hung upstream call was cancelled
  })

  it('answers 504 in the client protocol when every target times out', async () => {
    h = await startHarness({ gateway: () => route([t('a', 1)], { policy: { timeouts: { firstByteMs: 200 } } }) })
    h.sim.script('a', { kind: 'hang' })
    const r = await post(`${h.url}/v1/chat/completions`, chat())
    expect(r.status).toBe(504)
    expect(r.json.error.message).toMatch(/timed out/)
  })

  it('moves a 429 on to the next target; retries the same target after Retry-After only when it is the last', async () => {
    h = await startHarness({
      gateway: () => ({
        routes: [
          { name: 'r', targets: [t('a', 1), t('b', 0)] },
          { name: 'one', targets: [t('c', 1)] },
        ],
      }),
    })
    h.sim.script('a', { kind: 'rate_limit', retryAfterSeconds: 1 })
    const r = await post(`${h.url}/v1/chat/completions`, chat())
    expect(r.status).toBe(200)
    expect(r.headers.get('x-loopgate-target')).toBe('sim/b')
    expect(h.sim.requests.map((x) => x.model)).toEqual(['a', 'b'])
    h.sim.script('c', { kind: 'rate_limit', retryAfterSeconds: 1 })
    const started = Date.now()
    const r2 = await post(`${h.url}/v1/chat/completions`, chat('one'))
    expect(r2.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(h.sim.requests.slice(2).map((x) => x.model)).toEqual(['c', 'c'])
  })

  it('falls back when Retry-After exceeds the longest wait, and returns 429 when nothing is left', async () => {
    h = await startHarness({ gateway: () => route([t('a', 1), t('b', 0)], { policy: { retry: { maxDelayMs: 500 } } }) })
    h.sim.script('a', { kind: 'rate_limit', retryAfterSeconds: 30 })
    const r = await post(`${h.url}/v1/chat/completions`, chat())
    expect(r.headers.get('x-loopgate-target')).toBe('sim/b')
    h.sim.script('*', { kind: 'rate_limit', retryAfterSeconds: 30 }, { kind: 'rate_limit', retryAfterSeconds: 30 })
    const r2 = await post(`${h.url}/v1/chat/completions`, chat())
    expect(r2.status).toBe(429)
    expect(r2.headers.get('retry-after')).toBe('30')
  })

  it('opens the breaker after consecutive failures and closes it after a good trial', async () => {
    h = await startHarness({
      gateway: () => route([t('a', 1), t('b', 0)], { policy: { breaker: { failureThreshold: 2, cooldownMs: 1500 } } }),
    })
    h.sim.script('a', { kind: 'error', status: 503 }, { kind: 'error', status: 502 })
    for (let i = 0; i < 2; i++)
      expect((await post(`${h.url}/v1/chat/completions`, chat())).headers.get('x-loopgate-target')).toBe('sim/b')
    const board = async () =>
      (await (await fetch(`${h!.url}/admin/targets`, { headers: admin })).json()) as {
        targets: { id: string; breaker: string; failures: number }[]
      }
    expect((await board()).targets.find((x) => x.id === 'sim/a')).toMatchObject({ breaker: 'open', failures: 2 })
    const before = h.sim.requests.length
    expect((await post(`${h.url}/v1/chat/completions`, chat())).headers.get('x-loopgate-target')).toBe('sim/b')
    expect(h.sim.requests.slice(before).map((x) => x.model)).toEqual(['b']) // a was skipped while open
    await new Promise((r) => setTimeout(r, 1600))
    expect((await post(`${h.url}/v1/chat/completions`, chat())).headers.get('x-loopgate-target')).toBe('sim/a')
    expect((await board()).targets.find((x) => x.id === 'sim/a')!.breaker).toBe('closed')
  })

  it('applies conditional rules on tags and body fields', async () => {
    h = await startHarness({
      gateway: () =>
        route([t('a', 1)], {
          rules: [
            { when: { tags: ['premium'] }, targets: [t('p')] },
            { when: { fields: { 'metadata.tier': 'gold' } }, targets: [t('g')] },
          ],
        }),
    })
    const base = { 'content-type': 'application/json', authorization: `Bearer lg-test-key-acme-0001` }
    expect(
      (await post(`${h.url}/v1/chat/completions`, chat(), { ...base, 'x-loopgate-tags': 'x, premium' })).headers.get(
        'x-loopgate-target',
      ),
    ).toBe('sim/p')
    expect(
      (await post(`${h.url}/v1/chat/completions`, chat('r', { metadata: { tier: 'gold' } }))).headers.get(
        'x-loopgate-target',
      ),
    ).toBe('sim/g')
    expect((await post(`${h.url}/v1/chat/completions`, chat())).headers.get('x-loopgate-target')).toBe('sim/a')
  })

  it('keeps a session on one target when the route is sticky', async () => {
    h = await startHarness({ gateway: () => route([t('a', 1), t('b', 1), t('c', 1)], { sticky: true }) })
    const seen = new Map<string, Set<string>>()
    for (let i = 0; i < 60; i++) {
      const session = `s${i % 6}`
      const r = await post(`${h.url}/v1/chat/completions`, chat(), {
        'content-type': 'application/json',
        authorization: 'Bearer lg-test-key-acme-0001',
        'x-loopgate-session-id': session,
      })
      if (!seen.has(session)) seen.set(session, new Set())
      seen.get(session)!.add(r.headers.get('x-loopgate-target')!)
    }
    for (const targets of seen.values()) expect(targets.size).toBe(1)
  })
})

describe('routing table admin API', () => {
  it('validates, versions, audits and persists the table', async () => {
    h = await startHarness({ gateway: () => route([t('a', 1), t('b', 0)]) })
    const put = (body: unknown, headers = admin) =>
      fetch(`${h!.url}/admin/routing`, { method: 'PUT', headers, body: JSON.stringify(body) })
    expect(
      (await put({ routes: [] }, { 'content-type': 'application/json', authorization: 'Bearer nope' } as typeof admin))
        .status,
    ).toBe(401)
    const errorsOf = async (res: Response) => {
      expect(res.status).toBe(400)
      return ((await res.json()) as { error: { errors: string[] } }).error.errors.join('\n')
    }
    expect(
      await errorsOf(await put({ routes: [{ name: 'r', targets: [{ provider: 'ghost', model: 'x' }] }] })),
    ).toMatch(/unknown provider "ghost"/)
    expect(
      await errorsOf(await put({ routes: [{ name: 'r', targets: [{ provider: 'sim', model: 'y', weight: -1 }] }] })),
    ).toMatch(/non-negative/)
    expect(
      await errorsOf(
        await put({
          routes: [
            { name: 'r', targets: [t('a')] },
            { name: 'r', targets: [t('b')] },
          ],
        }),
      ),
    ).toMatch(/defined twice/)
    const allZero = await put({ routes: [{ name: 'z', targets: [t('a', 0)] }] })
    expect(((await allZero.json()) as { error: { message: string } }).error.message).toMatch(/positive weight/)

    // Only configured routes and targets, only weights, and no route left out unless named in dropRoutes.
    expect(await errorsOf(await put({ routes: [{ name: 'r', targets: [t('a'), t('b'), t('c')] }] }))).toMatch(
      /target "sim\/c" is not configured/,
    )
    expect(await errorsOf(await put({ routes: [{ name: 'r', targets: [t('b', 1)] }] }))).toMatch(
      /configured target "sim\/a" is missing/,
    )
    expect(await errorsOf(await put({ routes: [] }))).toMatch(/leaves out "r".*dropRoutes/)

    const ok = await put({
      routes: [{ name: 'r', targets: [t('a', 0), t('b', 1)] }],
      expectedVersion: 1,
      reason: 'move to b',
      author: 'test',
    })
    expect(await ok.json()).toEqual({ version: 2, previousVersion: 1 })
    const r = await post(`${h.url}/v1/chat/completions`, chat())
    expect(r.headers.get('x-loopgate-routing-version')).toBe('2')
    expect(r.headers.get('x-loopgate-target')).toBe('sim/b')
    expect((await put({ routes: [{ name: 'r', targets: [t('a', 1), t('b', 0)] }], expectedVersion: 1 })).status).toBe(
      409,
    )
    const audit = (await (await fetch(`${h.url}/admin/routing/audit`, { headers: admin })).json()) as {
      entries: { version: number; reason: string; author: string }[]
    }
    expect(audit.entries[0]).toMatchObject({ version: 2, reason: 'move to b', author: 'test' })

    const dataDir = h.dataDir
    await h.gw.close()
    await h.sim.close()
    h = await startHarness({ dataDir, gateway: () => route([t('a', 1), t('b', 0)]) })
    expect(h.gw.routingVersion()).toBe(2)
    expect((await post(`${h.url}/v1/chat/completions`, chat())).headers.get('x-loopgate-target')).toBe('sim/b')
  })
})
