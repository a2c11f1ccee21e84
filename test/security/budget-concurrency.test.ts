import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { usdToUnits, unitsToUsd } from '../../lib/money.ts'
import { KEY, eventually, jsonHeaders, startHarness, type Harness } from '../gateway/harness.ts'
import { startRedis, type RedisServer } from '../helpers/redis.ts'
import { BUDGET, ask, budgetGateway, max, spentToday, sum } from './budget-helpers.ts'

/*
 * Rule 9: budgets are reserved before the upstream call and settled after. 50 requests at once
 * against a $0.10/day budget: the spend may exceed the budget by at most one request's
 * settled-minus-reserved difference (0 when the reservation is an upper bound, as here).
 */
let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

async function fiftyAtOnce(url: string) {
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => ask(url, i % 2 === 1)))
  const served = answers.filter((a) => a.status === 200)
  const refused = answers.filter((a) => a.status !== 200)
  const spend = await spentToday(url)
  const budget = usdToUnits(BUDGET)
  const slack = max(served.map((a) => (a.cost > a.reserved ? a.cost - a.reserved : 0n)))
  console.log(
    `50 parallel: served ${served.length}, refused ${refused.length}, spend $${unitsToUsd(spend)} of $${BUDGET} (overspend $${unitsToUsd(spend > budget ? spend - budget : 0n)}, allowed $${unitsToUsd(slack)})`,
  )
  expect(spend).toBe(sum(served.map((a) => a.cost))) // every served request is charged exactly once
  expect(slack).toBe(0n) // every hold covered its request's cost here, so no overspend is allowed
  expect(spend).toBeLessThanOrEqual(budget + slack)
  expect(served.length).toBeGreaterThan(0)
  for (const r of refused) {
    expect(r.status).toBe(402)
    expect(r.code).toBe('budget_exceeded')
    expect(r.message).toMatch(
      /tenant "acme" has \$[\d.]+ left of its usd_per_day limit of \$0\.1\/day; this request may cost up to \$[\d.]+/,
    )
  }
  // What is left cannot pay for one more worst case: nothing was refused that fitted.
  expect(budget - spend).toBeLessThan(max(served.map((a) => a.reserved)))
  return { served: served.length, spend }
}

describe('a budget under 50 concurrent requests', () => {
  it('holds with the in-memory store', async () => {
    h = await startHarness({ gateway: budgetGateway(), sim: { models: { '*': { ttftMs: 150 } } } })
    await fiftyAtOnce(h.url)
  })

  it('releases the whole hold of requests that fail upstream, so the budget is still there for the rest', async () => {
    h = await startHarness({ gateway: budgetGateway(), sim: { models: { '*': { ttftMs: 100 } } } })
    // The first three answers upstream are 400s (scripted: a random error rate sometimes failed none).
    h.sim.script('*', { kind: 'error', status: 400 }, { kind: 'error', status: 400 }, { kind: 'error', status: 400 })
    const wave = await Promise.all(Array.from({ length: 50 }, (_, i) => ask(h!.url, i % 2 === 1)))
    const failed = wave.filter((a) => a.status === 400).length
    // Then one at a time until the budget refuses: no hold of a failed request may still be counted.
    const after: Awaited<ReturnType<typeof ask>>[] = []
    while (after.length < 40 && after.at(-1)?.status !== 402) after.push(await ask(h.url, false))
    const served = [...wave, ...after].filter((a) => a.status === 200)
    const spend = await spentToday(h.url)
    const budget = usdToUnits(BUDGET)
    console.log(
      `50 parallel, the first 3 upstream answers 400s: ${failed} failed, then ${after.length} one by one; served ${served.length}, spend $${unitsToUsd(spend)} of $${BUDGET}`,
    )
    expect(failed).toBe(3)
    expect(spend).toBe(sum(served.map((a) => a.cost)))
    expect(spend).toBeLessThanOrEqual(budget)
    expect(after.at(-1)!.status).toBe(402)
    expect(budget - spend).toBeLessThan(max(served.map((a) => a.reserved)))
  })

  it('charges a stream cut midway for what it used and releases the rest of its hold', async () => {
    h = await startHarness({ gateway: budgetGateway(), sim: { models: { '*': { tokensPerSecond: 40 } } } })
    const ctl = new AbortController()
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: jsonHeaders(KEY),
      signal: ctl.signal,
      body: JSON.stringify({
        model: 'chat',
        messages: [{ role: 'user', content: 'hello there' }],
        max_tokens: 16,
        stream: true,
      }),
    })
    const reserved = usdToUnits(res.headers.get('x-loopgate-reserved-usd') ?? '0')
    const reader = res.body!.getReader()
    await reader.read()
    await reader.read()
    ctl.abort()
    await eventually(async () => (await spentToday(h!.url)) > 0n)
    const cut = await spentToday(h.url)
    console.log(`cut stream: held $${unitsToUsd(reserved)}, charged $${unitsToUsd(cut)}`)
    expect(reserved).toBeGreaterThan(0n)
    expect(cut).toBeLessThan(reserved) // the unused part went back
    // What is left is usable to the last hold: 50 at once spend at most the budget and leave less than one hold.
    const wave = await Promise.all(Array.from({ length: 50 }, () => ask(h!.url, false)))
    const served = wave.filter((a) => a.status === 200)
    const spend = await spentToday(h.url)
    expect(spend).toBe(cut + sum(served.map((a) => a.cost)))
    expect(spend).toBeLessThanOrEqual(usdToUnits(BUDGET))
    expect(usdToUnits(BUDGET) - spend).toBeLessThan(reserved)
  })

  describe('with a real redis-server', () => {
    let redis: RedisServer
    beforeAll(async () => {
      redis = await startRedis()
    })
    afterAll(() => redis.stop())

    it('holds with the Redis store', async () => {
      h = await startHarness({
        gateway: budgetGateway(),
        redisUrl: redis.url,
        sim: { models: { '*': { ttftMs: 150 } } },
      })
      await fiftyAtOnce(h.url)
    })
  })
})
