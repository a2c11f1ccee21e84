import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CollectorClient } from '../../collector/client.ts'
import { eventually, freePort } from '../helpers/net.ts'
import { agentBatch, expectedOf, sessionSpanTotal, traceIdOf, traceSpanCounts } from './otlp-batches.ts'

// A collector process killed (-9) under load, restarted on the same data, and every batch sent
// again: batches that were stored but never acknowledged (killed between INSERT and ack) and
// acknowledged ones alike must show once. Where the kill lands is up to the machine; the test
// reports how many batches it caught between INSERT and ack (deterministically, that state is
// covered by ingest-dedup.test.ts).
const ADMIN = 'admin-token-kill-test-0123456789'
const dir = mkdtempSync(join(tmpdir(), 'loopgate-kill-'))
const port = await freePort()
const url = `http://127.0.0.1:${port}`
writeFileSync(
  join(dir, 'loopgate.yaml'),
  `logLevel: warn\nadminToken: ${ADMIN}\nclickhouse:\n  path: ${dir}/clickhouse\ncollector:\n  port: ${port}\n  serveUi: false\n  writer:\n    lingerMs: 20\n`,
)
let child: ChildProcess | undefined
afterAll(() => {
  child?.kill('SIGKILL')
})

async function startCollector(): Promise<void> {
  child = spawn(
    process.execPath,
    [join(import.meta.dirname, '../../bin/loopgate.mjs'), 'collector', '--config', join(dir, 'loopgate.yaml')],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  await eventually(
    'the collector to start',
    async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined),
    90_000,
  )
}

const TRACES = 10
const send = (b: number) =>
  fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: agentBatch(b, TRACES),
  })

describe('a collector killed between INSERT and ack', () => {
  it('stores every batch once after a restart and a re-send of everything', async () => {
    await startCollector()
    // Listened for before the kill: the exit may come before the senders have all returned.
    let dead = false
    const exited = new Promise((r) => child!.once('exit', r)).then(() => (dead = true))
    const acked = new Set<number>()
    const sent: number[] = []
    let next = 1
    let killed = false
    // 12 senders, each sending one batch after another until the collector is killed, then one
    // more into the dying collector (so at least one batch is never acknowledged).
    const senders = Array.from({ length: 12 }, async () => {
      while (!dead) {
        const afterKill = killed
        const b = next++
        sent.push(b)
        const res = await send(b).catch(() => undefined)
        if (res?.status === 200) acked.add(b)
        if (acked.size >= 60 && !killed) {
          killed = true
          child!.kill('SIGKILL')
        }
        if (afterKill) break
      }
    })
    await Promise.all(senders)
    await exited
    const unacked = sent.filter((b) => !acked.has(b))
    expect(unacked.length).toBeGreaterThan(0) // requests were in flight when it died

    await startCollector()
    const api = new CollectorClient({ baseUrl: url, token: ADMIN })
    // What the kill left behind: unacknowledged batches already stored (inserted, never acked).
    let storedUnacked = 0
    for (const b of unacked)
      if ((await api.getTrace(traceIdOf(b, 0)).catch(() => undefined)) !== undefined) storedUnacked++
    console.log(
      `${acked.size} batches acknowledged, ${unacked.length} in flight at the kill, ${storedUnacked} of them stored without an ack`,
    )

    // The exporters send everything again (unacknowledged ones must be; acknowledged ones may be).
    for (const b of sent) expect((await send(b)).status).toBe(200)

    expect(new Set(await traceSpanCounts(api, sent, TRACES))).toEqual(new Set([2]))
    const expected = expectedOf(sent, TRACES)
    const charge = await api.chargeback({ tenant: 'default', period: 'day' })
    expect({ requests: charge.totals.requests, input: charge.totals.input_tokens }).toEqual({
      requests: expected.llmCalls,
      input: expected.input,
    })
    expect(await sessionSpanTotal(api, 'default')).toBe(sent.length * TRACES * 2)
  })
})
