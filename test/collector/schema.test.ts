import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { storageConfigSchema } from '../../collector/config.ts'
import { createStorageClient } from '../../collector/storage/client.ts'
import { migrate, migrations } from '../../collector/storage/migrations.ts'
import { sessionsView } from '../../collector/storage/tables.ts'

const settings = storageConfigSchema.parse({ path: mkdtempSync(join(tmpdir(), 'loopgate-schema-')) })
const client = await createStorageClient(settings)
afterAll(() => client.close())

async function rows<T>(query: string, query_params: Record<string, unknown> = {}): Promise<T[]> {
  return (await client.query({ query, query_params, format: 'JSONEachRow' })).json<T>()
}

describe('storage client', () => {
  it('runs every statement with synchronous inserts (chDB defaults to async ones)', async () => {
    for (const params of [{}, { x: 1 }]) {
      const [r] = await rows<{ a: unknown; d: string }>(
        `SELECT getSetting('async_insert') AS a, getSetting('date_time_input_format') AS d`,
        params,
      )
      expect(r).toEqual({ a: false, d: 'best_effort' })
    }
  })
})

describe('schema migrations', () => {
  it('applies every migration once and records it', async () => {
    const o = { database: 'loopgate', retentionDays: 7 }
    expect(await migrate(client, o)).toEqual(migrations.map((m) => m.version))
    expect(await migrate(client, o)).toEqual([])
    const recorded = await rows<{ version: number }>('SELECT version FROM loopgate.schema_migrations ORDER BY version')
    expect(recorded.map((r) => Number(r.version))).toEqual(migrations.map((m) => m.version))
  })

  it('adds the daily rollup to a database made before it, filled once from the hourly rollup', async () => {
    const o = { database: 'upgraded', retentionDays: 30 }
    await migrate(client, o)
    const hourly = `SELECT toDate(toTimeZone(hour, 'UTC')) AS d, route, sum(requests) AS n, toString(sum(cost_usd)) AS c FROM upgraded.usage_hourly GROUP BY d, route ORDER BY d, route`
    const daily = `SELECT day AS d, route, sum(requests) AS n, toString(sum(cost_usd)) AS c FROM upgraded.usage_daily GROUP BY d, route ORDER BY d, route`
    await client.command({
      query: `INSERT INTO upgraded.spans (Timestamp, TraceId, tenant_id, route, billable, cost_usd)
        SELECT now64(9) - toIntervalHour(number % 100), hex(number), 't', toString(number % 3), 1, toDecimal64(number, 12) / 1000 FROM numbers(500)`,
    })
    // The database as it was at version 1: no daily rollup yet.
    await client.command({ query: 'DROP VIEW upgraded.usage_daily_mv' })
    await client.command({ query: 'DROP TABLE upgraded.usage_daily' })
    await client.command({ query: 'TRUNCATE TABLE upgraded.schema_migrations' })
    await client.insert({
      table: 'upgraded.schema_migrations',
      values: [{ version: 1, name: 'initial schema' }],
      format: 'JSONEachRow',
    })
    expect(await migrate(client, o)).toEqual(migrations.filter((m) => m.version > 1).map((m) => m.version))
    const before = await rows(hourly)
    expect(before.length).toBeGreaterThan(3)
    expect(await rows(daily)).toEqual(before)
    // A re-run of the migration's statements does not count twice; new spans reach both rollups.
    for (const statement of migrations[1]!.statements(o)) await client.command({ query: statement })
    await client.command({
      query: `INSERT INTO upgraded.spans (Timestamp, TraceId, tenant_id, route, billable, cost_usd) VALUES (now64(9), 'x', 't', '0', 1, 1)`,
    })
    expect(await rows(daily)).toEqual(await rows(hourly))
  })

  it('adds scores.posted_by to a database made before it; older scores read as posted by nobody', async () => {
    const o = { database: 'oldscores', retentionDays: 30 }
    await migrate(client, o)
    await client.command({ query: 'ALTER TABLE oldscores.scores DROP COLUMN posted_by' })
    await client.command({
      query: `INSERT INTO oldscores.scores (tenant_id, score_id, created_at, name, value) VALUES ('t', 's1', now64(9), 'q', 1)`,
    })
    await client.command({ query: 'TRUNCATE TABLE oldscores.schema_migrations' })
    await client.insert({
      table: 'oldscores.schema_migrations',
      values: [1, 2].map((version) => ({ version, name: 'old' })),
      format: 'JSONEachRow',
    })
    expect(await migrate(client, o)).toContain(3)
    expect(await rows('SELECT score_id, posted_by FROM oldscores.scores')).toEqual([{ score_id: 's1', posted_by: '' }])
  })

  it('migration 5 makes the sessions view count billable rows as LLM calls on a database made before it', async () => {
    const o = { database: 'oldsessions', retentionDays: 30 }
    await migrate(client, o)
    // The database as it was at version 4: sessions counted every llm span (a gateway call twice).
    const oldSelect = sessionsView.select
      .replace('{from}', 'oldsessions.spans')
      .replace('toUInt64(sum(billable)) AS llm_calls', "toUInt64(countIf(span_type = 'llm')) AS llm_calls")
    expect(oldSelect).toContain('countIf')
    await client.command({ query: `ALTER TABLE oldsessions.sessions_mv MODIFY QUERY ${oldSelect}` })
    await client.command({ query: 'TRUNCATE TABLE oldsessions.schema_migrations' })
    await client.insert({
      table: 'oldsessions.schema_migrations',
      values: [1, 2, 3, 4].map((version) => ({ version, name: 'old' })),
      format: 'JSONEachRow',
    })
    // One gateway call: its request span (billable) and its attempt child (an llm span, not billable).
    const call = (session: string) =>
      client.command({
        query: `INSERT INTO oldsessions.spans (Timestamp, TraceId, SpanId, tenant_id, session_id, span_type, billable)
        VALUES (now64(9), 't1', 'req', 't', {s:String}, 'llm', 1), (now64(9), 't1', 'att', 't', {s:String}, 'llm', 0)`,
        query_params: { s: session },
      })
    const llmCalls = async (session: string) =>
      (
        await rows<{ n: string }>(
          'SELECT toString(sum(llm_calls)) AS n FROM oldsessions.sessions WHERE session_id = {s:String}',
          { s: session },
        )
      )[0]!.n
    await call('before')
    expect(await llmCalls('before')).toBe('2')
    expect(await migrate(client, o)).toContain(5)
    // Idempotent: the migration's statements run again without harm.
    for (const statement of migrations.find((m) => m.version === 5)!.statements(o))
      await client.command({ query: statement })
    await call('after')
    expect(await llmCalls('after')).toBe('1')
    expect(await llmCalls('before')).toBe('2') // rollup rows written before keep their counts
    const [view] = await rows<{ q: string }>(
      "SELECT create_table_query AS q FROM system.tables WHERE database = 'oldsessions' AND name = 'sessions_mv'",
    )
    expect(view!.q).toContain('toUInt64(sum(billable)) AS llm_calls')
    expect(view!.q).toContain('TO oldsessions.sessions')
  })

  it('adds spans.usage_source to a database made before it; older spans read as unknown', async () => {
    const o = { database: 'oldspans', retentionDays: 30 }
    await migrate(client, o)
    await client.command({ query: 'ALTER TABLE oldspans.spans DROP COLUMN usage_source' })
    await client.command({
      query: `INSERT INTO oldspans.spans (Timestamp, TraceId, SpanId, tenant_id, input_tokens) VALUES (now64(9), 't1', 's1', 't', 10)`,
    })
    await client.command({ query: 'TRUNCATE TABLE oldspans.schema_migrations' })
    await client.insert({
      table: 'oldspans.schema_migrations',
      values: [1, 2, 3, 4].map((version) => ({ version, name: 'old' })),
      format: 'JSONEachRow',
    })
    expect(await migrate(client, o)).toContain(9)
    expect(await rows('SELECT SpanId, usage_source FROM oldspans.spans')).toEqual([{ SpanId: 's1', usage_source: '' }])
  })

  it('creates the tables with tenant_id leading the sort key, bloom filters and TTL', async () => {
    const tables = await rows<{ name: string; sorting_key: string; create_table_query: string }>(
      "SELECT name, sorting_key, create_table_query FROM system.tables WHERE database = 'loopgate'",
    )
    const byName = new Map(tables.map((t) => [t.name, t]))
    for (const name of [
      'spans',
      'trace_index',
      'sessions',
      'usage_hourly',
      'usage_daily',
      'scores',
      'routing_decisions',
    ])
      expect(byName.has(name)).toBe(true)
    const spans = byName.get('spans')!
    expect(spans.sorting_key.startsWith('tenant_id')).toBe(true)
    expect(spans.create_table_query).toContain('bloom_filter')
    expect(spans.create_table_query).toContain('TTL toDateTime(Timestamp) + toIntervalDay(7)')
    expect(spans.create_table_query).toContain('Decimal(18, 12)')
    expect(spans.create_table_query).toContain('INDEX idx_ingested_at ingested_at TYPE minmax GRANULARITY 1')
  })

  it('emits cluster DDL that ClickHouse parses: ON CLUSTER, Replicated local tables, Distributed tables', async () => {
    const statements = migrations.flatMap((m) =>
      m.statements({ database: 'loopgate', cluster: 'prod', retentionDays: 30 }),
    )
    for (const statement of statements) {
      const [parsed] = await rows<{ f: string }>('SELECT formatQuery({q:String}) AS f', { q: statement })
      if (statement.startsWith('CREATE') || statement.startsWith('ALTER'))
        expect(parsed!.f).toContain('ON CLUSTER prod')
    }
    const text = statements.join('\n')
    expect(text).toContain("ReplicatedMergeTree('/clickhouse/tables/{shard}/loopgate/spans_local', '{replica}')")
    expect(text).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/loopgate/scores_local', '{replica}', created_at)",
    )
    expect(text).toContain('ENGINE = Distributed(prod, loopgate, spans_local, cityHash64(TraceId))')
    expect(text).toMatch(/sessions_mv ON CLUSTER prod\nTO loopgate\.sessions_local/)
    expect(text).toContain('ALTER TABLE loopgate.sessions_mv ON CLUSTER prod MODIFY QUERY SELECT')
    expect(text).toMatch(/MODIFY QUERY SELECT[^]*FROM loopgate\.spans_local WHERE session_id != ''/)
  })
})
