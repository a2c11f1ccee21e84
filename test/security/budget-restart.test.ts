import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { usdToUnits, unitsToUsd } from '../../lib/money.ts'
import { startSimulator, type Simulator } from '../../gateway/simulator/index.ts'
import { ADMIN, KEY, PROVIDER_KEY, sleep, startHarness, type Harness } from '../gateway/harness.ts'
import { eventually, freePort } from '../helpers/net.ts'
import { BUDGET, PRICE, ask, spentToday, budgetGateway, sum } from './budget-helpers.ts'

/* Without Redis, spend lives in a journal in the gateway's data dir: a restart does not forget it. */
let h: Harness | undefined
let sim: Simulator | undefined
let child: ChildProcess | undefined
const dirs: string[] = []
afterEach(async () => {
  await h?.close()
  await sim?.close()
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL')
    await new Promise((r) => child!.once('exit', r))
  }
  h = sim = child = undefined
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('budget spend across a restart without Redis', () => {
  it.each([
    ['default journal', {}],
    ['journal compacted every 2 lines while serving', { limits: { journal: { compactEvery: 2, flushMs: 5 } } }],
  ])('is remembered (%s): the restarted gateway refuses what the budget no longer covers', async (_name, extra) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loopgate-budget-restart-'))
    dirs.push(dataDir)
    h = await startHarness({ gateway: budgetGateway(extra), dataDir })
    const first: bigint[] = []
    for (let i = 0; i < 20; i++) {
      const a = await ask(h.url, i % 2 === 0)
      if (a.status !== 200) break
      first.push(a.cost)
      await sleep(10) // lets a 5 ms flush (and compaction) run between requests
    }
    const before = await spentToday(h.url)
    expect(before).toBe(sum(first))
    const journalLines = () =>
      readFileSync(join(dataDir, 'spend-journal.jsonl'), 'utf8').split('\n').filter(Boolean).length
    // Compaction runs on the flush timer; under load an fsync can outlast the serving, so wait for it.
    if ('limits' in extra)
      await eventually('the journal compacted while serving', async () =>
        journalLines() < first.length ? true : undefined,
      )
    await h.close()
    if (!('limits' in extra)) expect(journalLines()).toBe(first.length) // one line per settlement

    h = await startHarness({ gateway: budgetGateway(extra), dataDir })
    const after = await spentToday(h.url)
    const more = await Promise.all(Array.from({ length: 5 }, (_, i) => ask(h!.url, i % 2 === 0)))
    const servedAfter = more.filter((a) => a.status === 200).length
    const total = await spentToday(h.url)
    console.log(
      `before restart: ${first.length} served, $${unitsToUsd(before)}; after restart: spend read back $${unitsToUsd(after)}, ${servedAfter} more served, total $${unitsToUsd(total)} of $${BUDGET}`,
    )
    expect(after).toBe(before)
    expect(total).toBeLessThanOrEqual(usdToUnits(BUDGET))
    expect(servedAfter).toBe(0)
    expect(more[0]!.status).toBe(402)
  })

  it('survives a crash: SIGKILL of a `loopgate gateway` process loses no settlement older than the journal flush', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopgate-budget-crash-'))
    dirs.push(dir)
    sim = await startSimulator({ apiKeys: [PROVIDER_KEY] })
    const port = await freePort()
    writeFileSync(
      join(dir, 'loopgate.yaml'),
      `
logLevel: warn
gateway:
  port: ${port}
  telemetry: { enabled: false }
  limits: { journal: { flushMs: 50 } }
  providers: { sim: { protocol: openai, baseUrl: "${sim.openaiBaseUrl}", apiKeyEnv: SIM_KEY } }
  routes: [{ name: chat, targets: [{ provider: sim, model: m, price: { input: "${PRICE.input}", output: "${PRICE.output}" } }] }]
tenants: [{ id: acme, budgets: { usdPerDay: "${BUDGET}" }, keys: [{ key: ${KEY} }] }]
`,
    )
    const url = `http://127.0.0.1:${port}`
    const launch = async () => {
      child = spawn(
        process.execPath,
        [join(import.meta.dirname, '../../bin/loopgate.mjs'), 'gateway', '--config', join(dir, 'loopgate.yaml')],
        {
          env: {
            ...process.env,
            LOOPGATE_ADMIN_TOKEN: ADMIN,
            LOOPGATE_DATA_DIR: dir,
            SIM_KEY: PROVIDER_KEY,
            REDIS_URL: '',
          },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      )
      await eventually('the gateway', async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined))
    }
    await launch()
    const served: bigint[] = []
    for (let i = 0; i < 3; i++) {
      const a = await ask(url, i === 1)
      expect(a.status).toBe(200)
      served.push(a.cost)
    }
    // Wait for the flush (one line per settlement), then kill without warning.
    const journal = join(dir, 'gateway', 'spend-journal.jsonl')
    await eventually(
      'the journal flush',
      async () =>
        existsSync(journal) && readFileSync(journal, 'utf8').split('\n').filter(Boolean).length === 3
          ? true
          : undefined,
      10_000,
    )
    child!.kill('SIGKILL')
    await new Promise((r) => child!.once('exit', r))

    await launch()
    const after = await spentToday(url)
    const next = await ask(url, false)
    console.log(
      `crash: ${served.length} served for $${unitsToUsd(sum(served))} before SIGKILL; read back $${unitsToUsd(after)}; next request ${next.status}`,
    )
    expect(after).toBe(sum(served))
    // 3 × $0.0163 settled: the 4th and 5th still fit $0.1 under a $0.0189 hold each, the 6th does not.
    expect(next.status).toBe(200)
    const fifth = await ask(url, false)
    expect(fifth.status).toBe(200)
    expect((await ask(url, false)).status).toBe(402)
  })
})
