import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Span, Trace } from '../../collector/api/types.ts'
import { hex, llmSpanRequest, postOtlp, startStack, type Stack, type TenantId } from './stack.ts'

/**
 * A client-chosen trace id is not a tenant boundary: session, user and tenant propagate only
 * between spans of the same resolved tenant (DESIGN rule 9). Real gateway → real collector.
 */
let stack: Stack

beforeAll(async () => {
  stack = await startStack()
}, 120_000)
afterAll(async () => stack?.close())

const flat = (t: Trace): Span[] => {
  const out: Span[] = []
  const walk = (s: Span) => (out.push(s), s.children.forEach(walk))
  t.roots.forEach(walk)
  return out
}
const traceOf = (tenant: TenantId, traceId: string) => stack.reader(tenant).getTrace(traceId)
const spent = async (tenant: TenantId) =>
  (await stack.reader(tenant).budgets()).budgets.find((b) => b.period === 'day')!.spent_usd
const billed = async (tenant: TenantId) =>
  (await stack.reader(tenant).chargeback()).tenant_totals[tenant]?.cost_usd ?? '0'

describe('trace context never crosses a tenant', () => {
  it("beta → alpha: alpha, later in beta's trace, never gets beta's session or user", async () => {
    const traceId = hex(16)
    await stack.chat('beta', { traceId, session: 'beta-session-1', user: 'beta-user-1' })
    await stack.flush()
    await stack.chat('alpha', { traceId })
    await stack.flush()
    const alpha = flat(await traceOf('alpha', traceId))
    expect(alpha.length).toBeGreaterThan(0)
    expect(alpha.map((s) => [s.tenant_id, s.session_id, s.user_id])).toEqual(alpha.map(() => ['alpha', '', '']))
    expect((await stack.reader('alpha').listSessions({ user: 'beta-user-1' })).sessions).toEqual([])
    // Beta's own view is whole and only beta's.
    const beta = flat(await traceOf('beta', traceId))
    expect(new Set(beta.map((s) => `${s.tenant_id}/${s.session_id}/${s.user_id}`))).toEqual(
      new Set(['beta/beta-session-1/beta-user-1']),
    )
  })

  it('alpha → beta: the reverse direction leaks nothing either', async () => {
    const traceId = hex(16)
    await stack.chat('alpha', { traceId, session: 'alpha-session-2', user: 'alpha-user-2' })
    await stack.flush()
    await stack.chat('beta', { traceId })
    await stack.flush()
    const beta = flat(await traceOf('beta', traceId))
    expect(beta.length).toBeGreaterThan(0)
    expect(beta.map((s) => s.session_id + s.user_id)).toEqual(beta.map(() => ''))
    expect((await stack.reader('beta').listSessions({ user: 'alpha-user-2' })).sessions).toEqual([])
    expect(
      (await stack.reader('alpha').getSession('alpha-session-2')).traces
        .flatMap((t) => t.spans.map((s) => s.tenant_id))
        .every((t) => t === 'alpha'),
    ).toBe(true)
  })

  it("a span posted from loopback without a key into beta's trace stays tenant default and is never billed to beta", async () => {
    const traceId = hex(16)
    await stack.chat('beta', { traceId, session: 'beta-session-3', user: 'beta-user-3' })
    await stack.flush()
    const beforeSpent = await spent('beta')
    const beforeBilled = await billed('beta')
    const beta = flat(await traceOf('beta', traceId))
    const res = await postOtlp(stack, llmSpanRequest({ traceId, parentSpanId: beta[0]!.span_id, tokens: 1_000_000 }))
    expect(res.status).toBe(200)
    expect({ spent: await spent('beta'), billed: await billed('beta') }).toEqual({
      spent: beforeSpent,
      billed: beforeBilled,
    })
    expect(flat(await traceOf('beta', traceId))).toHaveLength(beta.length)
    // Stored, but as the `default` tenant's own trace, without beta's session or user.
    const spoof = flat(await stack.admin.getTrace(traceId, { tenant: 'default' }))
    expect(spoof.map((s) => [s.tenant_id, s.session_id, s.user_id])).toEqual([['default', '', '']])
  })

  it('a session id two tenants both chose stays two sessions; the admin must say whose', async () => {
    await stack.chat('alpha', { traceId: hex(16), session: 'dup-session', user: 'ua' })
    await stack.chat('beta', { traceId: hex(16), session: 'dup-session', user: 'ub' })
    await stack.flush()
    await expect(stack.admin.getSession('dup-session')).rejects.toMatchObject({ status: 409, field: 'tenant' })
    for (const [tenant, user] of [
      ['alpha', 'ua'],
      ['beta', 'ub'],
    ] as const) {
      const s = await stack.reader(tenant).getSession('dup-session')
      expect({
        user: s.user_id,
        tenants: [...new Set(s.traces.flatMap((t) => t.spans.map((x) => x.tenant_id)))],
      }).toEqual({ user, tenants: [tenant] })
    }
  })

  it('a trace id shared by three tenants is three separate traces for every query, rollup and cost', async () => {
    const traceId = hex(16)
    const before = Object.fromEntries(
      await Promise.all((['alpha', 'beta', 'gamma'] as const).map(async (t) => [t, await billed(t)])),
    )
    // All three in one export batch and in separate ones: neither may mix them.
    await stack.chat('alpha', { traceId, session: 'shared-alpha', user: 'ua' })
    await stack.chat('beta', { traceId, session: 'shared-beta', user: 'ub' })
    await stack.chat('gamma', { traceId })
    await stack.flush()
    await stack.chat('gamma', { traceId })
    await stack.flush()
    const views: Record<string, Span[]> = Object.fromEntries(
      await Promise.all((['alpha', 'beta', 'gamma'] as const).map(async (t) => [t, flat(await traceOf(t, traceId))])),
    )
    for (const t of ['alpha', 'beta', 'gamma']) expect(views[t]!.length, t).toBeGreaterThan(0)
    expect(
      views.alpha!.every((s) => s.tenant_id === 'alpha' && s.session_id === 'shared-alpha' && s.user_id === 'ua'),
    ).toBe(true)
    expect(
      views.beta!.every((s) => s.tenant_id === 'beta' && s.session_id === 'shared-beta' && s.user_id === 'ub'),
    ).toBe(true)
    expect(views.gamma!.map((s) => `${s.tenant_id}/${s.session_id}/${s.user_id}`)).toEqual(
      views.gamma!.map(() => 'gamma//'),
    )
    // Each tenant's trace holds its own requests only: one request span (+ attempt) per call.
    expect(views.alpha!.filter((s) => s.attributes['loopgate.span'] === 'request')).toHaveLength(1)
    expect(views.gamma!.filter((s) => s.attributes['loopgate.span'] === 'request')).toHaveLength(2)
    // The admin, asked for the trace id without a tenant, is told it names three traces.
    await expect(stack.admin.getTrace(traceId)).rejects.toMatchObject({ status: 409, field: 'tenant' })
    const betaAsAdmin = flat(await stack.admin.getTrace(traceId, { tenant: 'beta' }))
    expect(betaAsAdmin.length).toBeGreaterThan(0)
    expect(betaAsAdmin.every((s) => s.tenant_id === 'beta')).toBe(true)
    // Sessions: each tenant sees only its own, with only its own trace's spans.
    expect((await stack.reader('gamma').listSessions()).sessions.map((s) => s.session_id)).toEqual([])
    const alphaSession = await stack.reader('alpha').getSession('shared-alpha')
    expect(alphaSession.traces.flatMap((t) => t.spans.map((s) => s.tenant_id)).every((t) => t === 'alpha')).toBe(true)
    // Costs: every tenant billed exactly its own calls (admin view pooled = sum of the three).
    const after = Object.fromEntries(
      await Promise.all((['alpha', 'beta', 'gamma'] as const).map(async (t) => [t, await billed(t)])),
    )
    for (const t of ['alpha', 'beta', 'gamma'] as const) expect(Number(after[t]) - Number(before[t])).toBeGreaterThan(0)
    const perCall = Number(after.alpha) - Number(before.alpha)
    expect(Number(after.gamma) - Number(before.gamma)).toBeCloseTo(2 * perCall, 12)
  })
})
