/**
 * `node bin/run-ts.mjs bench/limits.ts [--requests 1000000]`
 * CPU cost of the budget path per request, in process: worst-case estimate + reserve + settle on the
 * in-memory store, without and with the spend journal (buffered appends, one fdatasync per flush).
 * CPU time includes the journal's writes and fdatasync calls, which run on the same thread.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { usdToUnits } from '../lib/money.ts'
import { configuredQuote } from '../lib/pricing.ts'
import type { Target } from '../gateway/routing/table.ts'
import { SpendJournal } from '../gateway/tenancy/journal.ts'
import type { LimitSpec } from '../gateway/tenancy/limits.ts'
import { MemoryLimitStore } from '../gateway/tenancy/memory-store.ts'
import { inputTokenBound, outputTokenBound, worstCase } from '../gateway/tenancy/reserve.ts'

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const N = arg('requests', 1_000_000)
const specs: LimitSpec[] = [
  { scope: 't:bench', label: 'tenant "bench"', rpm: 1e12, usdPerMonth: usdToUnits('1000000000') },
  { scope: 'k:bench:k1', label: 'key "k1"', usdPerDay: usdToUnits('1000000000') },
]
const targets = [
  { price: configuredQuote({ input: '0.15', output: '0.6' }) },
  { price: configuredQuote({ input: '3', output: '15' }) },
] as Target[]
const body = {
  model: 'chat',
  messages: [{ role: 'user', content: 'hello there, how are you today?' }],
  max_tokens: 256,
}
const raw = JSON.stringify(body)

async function run(store: MemoryLimitStore): Promise<number> {
  const t0 = process.cpuUsage()
  for (let i = 0; i < N; i++) {
    // Let the journal's flush timer run, as it does between requests in the gateway.
    if (i % 5000 === 0) await new Promise((r) => setImmediate(r))
    const ask = worstCase(
      targets,
      inputTokenBound(Buffer.byteLength(raw)),
      outputTokenBound('chat', body, undefined, 4096),
    )
    const hold = store.admit(specs, ask, Date.now())
    if ('limit' in hold) throw new Error('refused')
    store.settle(hold, 40, 1_234_567n)
  }
  const u = process.cpuUsage(t0)
  return ((u.user + u.system) * 1000) / N
}

const dir = mkdtempSync(join(tmpdir(), 'loopgate-bench-limits-'))
const logger = pino({ level: 'silent' })
try {
  await run(new MemoryLimitStore()) // warm-up
  const plain = await run(new MemoryLimitStore())
  let journal: SpendJournal | undefined // eslint-disable-line prefer-const -- assigned in the closure below
  const store = new MemoryLimitStore({
    record: (s, d, m, u) => journal!.record(s, d, m, u),
    close: () => journal!.close(),
  })
  journal = new SpendJournal(dir, { flushMs: 200, compactEvery: 100_000, snapshot: () => store.snapshot() }, logger)
  journal.load('x', 'x')
  await journal.open()
  const journaled = await run(store)
  await store.close()
  console.log(
    `${N} requests: reserve + settle ${plain.toFixed(0)} ns/request in memory, ${journaled.toFixed(0)} ns/request with the journal (journal now ${statSync(join(dir, 'spend-journal.jsonl')).size} bytes)`,
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
