import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { usdToUnits, unitsToUsd } from '../../gateway/money.ts'
import { startHarness, type Harness } from '../gateway/harness.ts'
import { BUDGET, ask, budgetGateway, spentToday, sum } from './budget-helpers.ts'

/* Without Redis, spend lives in a journal in the gateway's data dir: a restart does not forget it. */
let h: Harness | undefined
const dirs: string[] = []
afterEach(async () => {
  await h?.close()
  h = undefined
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('budget spend across a restart without Redis', () => {
  it('is remembered: the restarted gateway refuses what the budget no longer covers', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loopgate-budget-restart-'))
    dirs.push(dataDir)
    h = await startHarness({ gateway: budgetGateway(), dataDir })
    const first: bigint[] = []
    for (let i = 0; i < 20; i++) {
      const a = await ask(h.url, i % 2 === 0)
      if (a.status !== 200) break
      first.push(a.cost)
    }
    const before = await spentToday(h.url)
    expect(before).toBe(sum(first))
    await h.close()

    h = await startHarness({ gateway: budgetGateway(), dataDir })
    const after = await spentToday(h.url)
    const more = await Promise.all(Array.from({ length: 5 }, (_, i) => ask(h!.url, i % 2 === 0)))
    const servedAfter = more.filter((a) => a.status === 200).length
    const total = await spentToday(h.url)
    console.log(`before restart: ${first.length} served, $${unitsToUsd(before)}; after restart: spend read back $${unitsToUsd(after)}, ${servedAfter} more served, total $${unitsToUsd(total)} of $${BUDGET}`)
    expect(after).toBe(before)
    expect(total).toBeLessThanOrEqual(usdToUnits(BUDGET))
    expect(servedAfter).toBe(0)
    expect(more[0]!.status).toBe(402)
  })
})
