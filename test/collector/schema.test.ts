import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { storageConfigSchema } from '../../collector/config.ts'
import { createStorageClient } from '../../collector/storage/client.ts'
import { schemaStatements } from '../../collector/storage/ddl.ts'
import { migrate, migrations } from '../../collector/storage/migrations.ts'

const settings = storageConfigSchema.parse({ path: mkdtempSync(join(tmpdir(), 'loopgate-schema-')) })
const client = await createStorageClient(settings)
afterAll(() => client.close())

async function rows<T>(query: string, query_params: Record<string, unknown> = {}): Promise<T[]> {
  return (await client.query({ query, query_params, format: 'JSONEachRow' })).json<T>()
}

describe('schema migrations', () => {
  it('applies every migration once and records it', async () => {
    const o = { database: 'loopgate', retentionDays: 7 }
    expect(await migrate(client, o)).toEqual(migrations.map((m) => m.version))
    expect(await migrate(client, o)).toEqual([])
    const recorded = await rows<{ version: number }>('SELECT version FROM loopgate.schema_migrations ORDER BY version')
    expect(recorded.map((r) => Number(r.version))).toEqual(migrations.map((m) => m.version))
  })

  it('creates the tables with tenant_id leading the sort key, bloom filters and TTL', async () => {
    const tables = await rows<{ name: string; sorting_key: string; create_table_query: string }>(
      "SELECT name, sorting_key, create_table_query FROM system.tables WHERE database = 'loopgate'",
    )
    const byName = new Map(tables.map((t) => [t.name, t]))
    for (const name of ['spans', 'trace_index', 'sessions', 'usage_hourly', 'scores', 'routing_decisions']) expect(byName.has(name)).toBe(true)
    const spans = byName.get('spans')!
    expect(spans.sorting_key.startsWith('tenant_id')).toBe(true)
    expect(spans.create_table_query).toContain('bloom_filter')
    expect(spans.create_table_query).toContain('TTL toDateTime(Timestamp) + toIntervalDay(7)')
    expect(spans.create_table_query).toContain('Decimal(18, 12)')
  })

  it('emits cluster DDL that ClickHouse parses: ON CLUSTER, Replicated local tables, Distributed tables', async () => {
    const statements = schemaStatements({ database: 'loopgate', cluster: 'prod', retentionDays: 30 })
    for (const statement of statements) {
      const [parsed] = await rows<{ f: string }>('SELECT formatQuery({q:String}) AS f', { q: statement })
      expect(parsed!.f).toContain('ON CLUSTER prod')
    }
    const text = statements.join('\n')
    expect(text).toContain("ReplicatedMergeTree('/clickhouse/tables/{shard}/loopgate/spans_local', '{replica}')")
    expect(text).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/loopgate/scores_local', '{replica}', created_at)")
    expect(text).toContain('ENGINE = Distributed(prod, loopgate, spans_local, cityHash64(TraceId))')
    expect(text).toMatch(/sessions_mv ON CLUSTER prod\nTO loopgate\.sessions_local/)
  })
})
