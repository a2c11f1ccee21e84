import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { collectorConfigSchema, storageConfigSchema } from '../../collector/config.ts'
import { createCollectorMetrics } from '../../collector/metrics.ts'
import { NativeEncodeError } from '../../collector/storage/native-block.ts'
import type { SpanRow } from '../../collector/storage/span-row.ts'
import { openStore, type Store } from '../../collector/storage/store.ts'
import { SpanWriter, WriterBusyError, WriterUnavailableError } from '../../collector/storage/writer.ts'
import { spanRow } from '../helpers/span-row.ts'

const storePath = mkdtempSync(join(tmpdir(), 'loopgate-writer-'))
const store = await openStore(storageConfigSchema.parse({ path: storePath }))
afterAll(() => store.close())
const logger = pino({ level: 'silent' })
const writerOptions = (o: Partial<ReturnType<typeof collectorConfigSchema.parse>['writer']> = {}) => ({
  ...collectorConfigSchema.parse({}).writer,
  ...o,
})

async function count(traceIdPrefix: string): Promise<number> {
  const rs = await store.client.query({
    query: `SELECT count() AS n FROM ${store.table('spans')} WHERE startsWith(TraceId, {p:String})`,
    query_params: { p: traceIdPrefix },
    format: 'JSONEachRow',
  })
  return Number((await rs.json<{ n: string }>())[0]!.n)
}

const rows = (prefix: string, n: number): SpanRow[] =>
  Array.from({ length: n }, (_, i) => spanRow({ TraceId: `${prefix}${String(i).padStart(32 - prefix.length, '0')}` }))

describe('SpanWriter (group commit)', () => {
  it('groups concurrent requests into few INSERTs and acknowledges each only after its rows are stored', async () => {
    const metrics = createCollectorMetrics()
    const writer = new SpanWriter(store, writerOptions({ lingerMs: 20 }), metrics, logger)
    const requests = Array.from({ length: 40 }, (_, i) => writer.write(rows(`a${String(i).padStart(2, '0')}`, 25)))
    await Promise.all(requests)
    expect(await count('a')).toBe(1000)
    const inserts = (await metrics.insertRows.get()).values.find((v) => v.metricName?.endsWith('_count'))!.value
    expect(inserts).toBeLessThanOrEqual(3)
    expect(writer.pending).toBe(0)
  })

  it('lingers between back-to-back INSERTs, so exporters acknowledged by one INSERT join the next', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let inserts = 0
    const gated: Store = {
      ...store,
      insertNative: async (table, columns, data) => {
        if (inserts++ === 0) await gate // the first INSERT runs until released
        return store.insertNative(table, columns, data)
      },
    }
    const writer = new SpanWriter(gated, writerOptions({ lingerMs: 50 }), createCollectorMetrics(), logger)
    const first = writer.write(rows('f1', 10))
    while (inserts === 0) await new Promise((r) => setTimeout(r, 5))
    const duringFirst = writer.write(rows('f2', 10))
    release()
    await first
    await new Promise((r) => setTimeout(r, 10)) // the acknowledgement's round trip to the exporter
    const resent = writer.write(rows('f3', 10)) // the first exporter's next batch, sent on its acknowledgement
    await Promise.all([duringFirst, resent])
    expect(inserts).toBe(2)
    expect(await count('f')).toBe(30)
  })

  it('refuses with a retry delay when the buffer is full, and stores what it accepted', async () => {
    const writer = new SpanWriter(
      store,
      writerOptions({ maxPendingRows: 100, maxBatchRows: 100, lingerMs: 50 }),
      createCollectorMetrics(),
      logger,
    )
    const first = writer.write(rows('b1', 80))
    const refused = writer.write(rows('b2', 40))
    await expect(refused).rejects.toBeInstanceOf(WriterBusyError)
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: expect.any(Number) })
    await first
    expect(await count('b1')).toBe(80)
    expect(await count('b2')).toBe(0)
  })

  it('isolates a request whose rows the store refuses from the others in its batch', async () => {
    // The real store, refusing any INSERT that carries the marked trace: as a full disk would.
    const marker = Buffer.from('c2'.padEnd(32, '0'))
    const refusing: Store = {
      ...store,
      insertNative: (table, columns, data) =>
        data.includes(marker)
          ? Promise.reject(new Error('simulated refusal'))
          : store.insertNative(table, columns, data),
    }
    const writer = new SpanWriter(refusing, writerOptions({ lingerMs: 30 }), createCollectorMetrics(), logger)
    const results = await Promise.allSettled([
      writer.write(rows('c1', 10)),
      writer.write(rows('c2', 1)),
      writer.write(rows('c3', 10)),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(WriterUnavailableError)
    expect(await count('c1')).toBe(10)
    expect(await count('c3')).toBe(10)
    expect(writer.pending).toBe(0)
  })

  it('refuses a request with a value its column cannot hold, naming the column, and stores the others', async () => {
    const writer = new SpanWriter(store, writerOptions({ lingerMs: 30 }), createCollectorMetrics(), logger)
    const bad = spanRow({ TraceId: 'e2'.padEnd(32, '0'), Timestamp: 'not a time' })
    const results = await Promise.allSettled([
      writer.write(rows('e1', 10)),
      writer.write([bad]),
      writer.write(rows('e3', 10)),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(NativeEncodeError)
    expect(String((results[1] as PromiseRejectedResult).reason.message)).toContain('Timestamp')
    expect(await count('e1')).toBe(10)
    expect(await count('e2')).toBe(0)
    expect(writer.pending).toBe(0)
  })

  it('removes INSERT files staged by a process that is gone, and keeps a live one’s', async () => {
    const staging = join(storePath, 'staging')
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid
    writeFileSync(join(staging, `${dead}-1.native`), 'x')
    writeFileSync(join(staging, `${process.pid}-99.native`), 'x')
    // Opened as a restarted collector would; it shares the chDB session that afterAll closes.
    await openStore(storageConfigSchema.parse({ path: storePath }))
    expect(readdirSync(staging)).toEqual([`${process.pid}-99.native`])
    rmSync(join(staging, `${process.pid}-99.native`))
  })

  it('answers unavailable when ClickHouse fails, without losing the pending count', async () => {
    const broken: Store = { ...store, table: () => 'loopgate.no_such_table' }
    const writer = new SpanWriter(broken, writerOptions({ lingerMs: 0 }), createCollectorMetrics(), logger)
    await expect(writer.write(rows('d', 5))).rejects.toBeInstanceOf(WriterUnavailableError)
    expect(writer.pending).toBe(0)
  })
})
