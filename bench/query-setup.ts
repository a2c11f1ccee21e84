import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { CollectorClient } from '../collector/client.ts'
import { collectorConfigSchema, storageConfigSchema } from '../collector/config.ts'
import { start } from '../collector/index.ts'
import { openStore } from '../collector/storage/store.ts'
import { generateScores, generateSpans } from './query-data.ts'

/**
 * What bench/query and bench/requests share: `--spans`, `--rounds` and `--dir`; a collector and a
 * second handle on the same engine (for raw SQL) over generated spans (200 tenants, 30 days) and one
 * evaluator score per trace, generated once per directory.
 */
export async function openQueryBench(name: string, defaultRounds: number) {
  const { values: args } = parseArgs({
    options: {
      spans: { type: 'string', default: '10000000' },
      rounds: { type: 'string', default: String(defaultRounds) },
      dir: { type: 'string' },
    },
  })
  const spans = Number(args.spans)
  const dir = args.dir ?? mkdtempSync(join(tmpdir(), `loopgate-bench-${name}-`))
  const adminToken = 'bench-admin-token-0123456789'
  const collector = await start({
    collector: collectorConfigSchema.parse({ port: 0 }),
    storage: storageConfigSchema.parse({ path: dir }),
    tenants: [],
    adminToken,
    logger: pino({ level: 'warn' }),
  })
  const store = await openStore(storageConfigSchema.parse({ path: dir })) // same engine, for generation and raw SQL
  const api = new CollectorClient({ baseUrl: collector.url, token: adminToken })
  const raw = async (query: string, query_params: Record<string, unknown> = {}) =>
    (await store.client.query({ query, query_params, format: 'JSONEachRow' })).json()
  const count = async (table: string) =>
    Number(((await raw(`SELECT count() AS n FROM ${store.table(table)}`)) as { n: string }[])[0]!.n)

  if ((await count('spans')) === 0) {
    const t = performance.now()
    await generateSpans(store, { spans, tenants: 200, days: 30 })
    await store.client.command({ query: `OPTIMIZE TABLE ${store.table('sessions')} FINAL` }) // as background merges would, given time
    console.log(`generated ${spans.toLocaleString()} spans in ${((performance.now() - t) / 1000).toFixed(0)} s`)
  }
  if ((await count('scores')) === 0) await generateScores(store, { spans, tenants: 200, days: 30 })

  const close = async () => {
    await collector.close()
    await store.close()
    if (!args.dir) rmSync(dir, { recursive: true, force: true })
  }
  return { rounds: Number(args.rounds), store, api, raw, count, close }
}
