import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { storageConfigSchema } from '../../collector/config.ts'
import { createStorageClient } from '../../collector/storage/client.ts'
import { migrate, migrations } from '../../collector/storage/migrations.ts'
import { usageDailyView, usageHourlyView } from '../../collector/storage/tables.ts'

const settings = storageConfigSchema.parse({ path: mkdtempSync(join(tmpdir(), 'loopgate-migration6-')) })
const client = await createStorageClient(settings)
afterAll(() => client.close())

const rows = async <T>(query: string) => (await client.query({ query, format: 'JSONEachRow' })).json<T>()
const db = 'before6'
const o = { database: db, retentionDays: 30 }

/** The rollup views as they were before migration 6 (the current ones without the cache columns). */
const oldHourly = usageHourlyView.select.replace(/,\s*toUInt64\(countIf\([\s\S]*AS saved_usd/, '')
const oldDaily = usageDailyView.select.replace(
  /,\s*sum\(cache_hits\) AS cache_hits,\s*sum\(saved_usd\) AS saved_usd/,
  '',
)

const span = (traceId: string, route: string, hit: boolean, saved: string) =>
  `INSERT INTO ${db}.spans (Timestamp, TraceId, tenant_id, route, billable, cost_usd, SpanAttributes)
   VALUES (now64(9), '${traceId}', 't', '${route}', 1, 0, map('loopgate.cache.hit', '${hit}', 'loopgate.cache.saved_usd', '${saved}'))`

describe('migration 6: cache hits and saved cost in the usage rollups', () => {
  it('adds the columns to a database made before it and fills them for new spans only', async () => {
    await migrate(client, o)
    expect(oldHourly).not.toContain('cache_hits')
    expect(oldDaily).not.toContain('cache_hits')
    // The database as it was at version 4.
    for (const view of ['usage_hourly_mv', 'usage_daily_mv']) await client.command({ query: `DROP VIEW ${db}.${view}` })
    for (const table of ['usage_hourly', 'usage_daily'])
      await client.command({ query: `ALTER TABLE ${db}.${table} DROP COLUMN cache_hits, DROP COLUMN saved_usd` })
    await client.command({
      query: `CREATE MATERIALIZED VIEW ${db}.usage_hourly_mv TO ${db}.usage_hourly AS ${oldHourly.replace('{from}', `${db}.spans`)}`,
    })
    await client.command({
      query: `CREATE MATERIALIZED VIEW ${db}.usage_daily_mv TO ${db}.usage_daily AS ${oldDaily.replace('{from}', `${db}.usage_hourly`)}`,
    })
    await client.command({ query: `TRUNCATE TABLE ${db}.schema_migrations` })
    await client.insert({
      table: `${db}.schema_migrations`,
      values: [1, 2, 3, 4].map((version) => ({ version, name: 'old' })),
      format: 'JSONEachRow',
    })
    await client.command({ query: span('a1', 'chat', true, '0.25') })

    expect(await migrate(client, o)).toEqual(migrations.filter((m) => m.version > 4).map((m) => m.version))
    await client.command({ query: span('a2', 'chat', true, '0.000000000001') })
    await client.command({ query: span('a3', 'chat', false, '') })
    // Not from the gateway's trusted ingest (no route): its claim of a hit is not believed.
    await client.command({ query: span('a4', '', true, '5') })
    const sums = (table: string) =>
      rows<{ requests: string; hits: string; saved: string }>(
        `SELECT toString(sum(requests)) AS requests, toString(sum(cache_hits)) AS hits, toString(sum(saved_usd)) AS saved FROM ${db}.${table}`,
      )
    for (const table of ['usage_hourly', 'usage_daily'])
      expect(await sums(table)).toEqual([{ requests: '4', hits: '1', saved: '0.000000000001' }])
    // Running it again changes nothing.
    for (const statement of migrations.find((m) => m.version === 6)!.statements(o))
      await client.command({ query: statement })
    for (const table of ['usage_hourly', 'usage_daily'])
      expect(await sums(table)).toEqual([{ requests: '4', hits: '1', saved: '0.000000000001' }])
  })
})
