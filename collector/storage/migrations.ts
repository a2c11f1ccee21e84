import type { ClickHouseClient } from '@clickhouse/client'
import { createTable, createView, local, modifyView, onCluster, schemaStatements, type DdlOptions } from './ddl.ts'
import {
  CACHE_ROLLUP_COLUMNS,
  scoresTable,
  sessionsView,
  spansTable,
  usageDailyTable,
  usageDailyView,
  usageHourlyView,
} from './tables.ts'

export interface Migration {
  version: number
  name: string
  /** Idempotent statements (IF NOT EXISTS …), so a migration cut off halfway is safe to run again. */
  statements(o: DdlOptions): string[]
}

/**
 * Adds the daily rollup to a database made before it, filled once from the hourly rollup (the
 * guard makes a re-run a no-op) before its view starts following new rows.
 */
function dailyUsageRollup(o: DdlOptions): string[] {
  const backfill = usageDailyView.select.replace('{from}', `${o.database}.usage_hourly`)
  return [
    // The current daily view reads columns a later migration adds to the hourly rollup (no-ops when present).
    ...addColumns('usage_hourly', CACHE_ROLLUP_COLUMNS, o),
    ...createTable(usageDailyTable, o),
    `INSERT INTO ${o.database}.usage_daily SELECT * FROM (${backfill}) WHERE (SELECT count() FROM ${o.database}.usage_daily) = 0`,
    createView(usageDailyView, o),
  ]
}

/**
 * Records who posted each score, so route statistics can count only trusted ones. Scores stored
 * before it have '' (neither admin nor tenant) and no longer count towards route quality.
 */
function scoresPostedBy(o: DdlOptions): string[] {
  return addScoreColumns(o, ['posted_by'])
}

/** Human annotation: a comment kept apart from the reason, and who posted it (docs/api.md › Annotations). */
function scoresAnnotation(o: DdlOptions): string[] {
  return addScoreColumns(o, ['comment', 'author', 'author_name'])
}

function addScoreColumns(o: DdlOptions, names: string[]): string[] {
  const columns = names.map((n) => scoresTable.columns.find((c) => c.startsWith(`${n} `))!)
  const alter = (table: string) =>
    columns.map((c) => `ALTER TABLE ${o.database}.${table}${onCluster(o)} ADD COLUMN IF NOT EXISTS ${c}`)
  return o.cluster ? [...alter('scores_local'), ...alter('scores')] : alter('scores')
}

/** Lets the start-up read of recently stored span ids (ingest deduplication) skip older granules. */
function ingestedAtIndex(o: DdlOptions): string[] {
  const index = spansTable.indexes!.find((i) => i.startsWith('INDEX idx_ingested_at '))!.slice('INDEX '.length)
  return [`ALTER TABLE ${o.database}.${local('spans', o)}${onCluster(o)} ADD INDEX IF NOT EXISTS ${index}`]
}

/**
 * Sessions count LLM calls as billable rows (one per call: the gateway request span or a
 * producer's LLM span, never an attempt child), as chargeback and trace totals do; before, they
 * counted every `llm` span, so a gateway call counted twice. The view is altered in place; rollup
 * rows written before keep their counts, and spans stored before keep their `billable` (an LLM
 * call stored without usage before this version is not counted). The hourly view needs no change:
 * it already sums `billable = 1` rows, which the normalizer now marks for calls without usage too.
 */
function llmCallsAreBillableRows(o: DdlOptions): string[] {
  return [modifyView(sessionsView, o)]
}

/** `ADD COLUMN IF NOT EXISTS` on a table (in cluster mode: its local tables and the Distributed one over them). */
function addColumns(table: string, columns: string[], o: DdlOptions): string[] {
  const alter = (name: string) =>
    `ALTER TABLE ${o.database}.${name}${onCluster(o)} ${columns.map((c) => `ADD COLUMN IF NOT EXISTS ${c}`).join(', ')}`
  return o.cluster ? [alter(`${table}_local`), alter(table)] : [alter(table)]
}

/**
 * Response-cache hits and the cost they saved, per tenant × hour/day × route × target × model
 * (chargeback shows them). The rollups gain two columns (0 for the rows before) and both views are
 * made again to fill them; a span stored while a view is being replaced is not rolled up, so run it
 * at start, before ingest (as every migration is).
 */
function cacheRollups(o: DdlOptions): string[] {
  const replaceView = (view: typeof usageHourlyView) => [
    `DROP VIEW IF EXISTS ${o.database}.${view.name}${onCluster(o)}`,
    createView(view, o),
  ]
  return [
    ...addColumns('usage_hourly', CACHE_ROLLUP_COLUMNS, o),
    ...addColumns('usage_daily', CACHE_ROLLUP_COLUMNS, o),
    ...replaceView(usageHourlyView),
    ...replaceView(usageDailyView),
  ]
}

/** Says whether a span's token counts were reported by its producer or estimated from its text. */
function spansUsageSource(o: DdlOptions): string[] {
  const column = spansTable.columns.find((c) => c.startsWith('usage_source '))!
  return addColumns('spans', [`${column} AFTER cost_source`], o)
}

// Migration 1 creates the current schema, so a new database passes through the later ones as no-ops.
export const migrations: Migration[] = [
  { version: 1, name: 'initial schema', statements: schemaStatements },
  { version: 2, name: 'daily usage rollup', statements: dailyUsageRollup },
  { version: 3, name: 'scores.posted_by', statements: scoresPostedBy },
  { version: 4, name: 'spans ingested_at index', statements: ingestedAtIndex },
  { version: 5, name: 'sessions count billable rows as LLM calls', statements: llmCallsAreBillableRows },
  { version: 6, name: 'cache hits and saved cost in the usage rollups', statements: cacheRollups },
  { version: 7, name: 'scores annotation columns', statements: scoresAnnotation },
  { version: 9, name: 'spans.usage_source', statements: spansUsageSource },
]

const SYSTEM_LOGS = [
  'query_log',
  'query_thread_log',
  'query_views_log',
  'part_log',
  'trace_log',
  'text_log',
  'metric_log',
  'asynchronous_metric_log',
  'processors_profile_log',
  'opentelemetry_span_log',
  'session_log',
  'error_log',
]

function migrationsTable(o: DdlOptions): string {
  const engine = o.cluster
    ? `ReplicatedMergeTree('/clickhouse/tables/{shard}/${o.database}/schema_migrations', '{replica}')`
    : 'MergeTree'
  return `CREATE TABLE IF NOT EXISTS ${o.database}.schema_migrations${onCluster(o)}
  (version UInt32, name String, applied_at DateTime64(9) DEFAULT now64(9))
  ENGINE = ${engine} ORDER BY version`
}

/** Applies every migration newer than the newest recorded one; returns the versions applied. */
export async function migrate(
  client: ClickHouseClient,
  o: DdlOptions & { systemLogRetentionDays?: number },
): Promise<number[]> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${o.database}${onCluster(o)}` })
  await client.command({ query: migrationsTable(o) })
  const rs = await client.query({
    query: `SELECT max(version) AS v FROM ${o.database}.schema_migrations`,
    format: 'JSONEachRow',
  })
  const [row] = await rs.json<{ v: number }>()
  const current = Number(row?.v ?? 0)
  const applied: number[] = []
  for (const m of migrations.filter((m) => m.version > current).sort((a, b) => a.version - b.version)) {
    for (const statement of m.statements(o)) await client.command({ query: statement })
    await client.insert({
      table: `${o.database}.schema_migrations`,
      values: [{ version: m.version, name: m.name }],
      format: 'JSONEachRow',
    })
    applied.push(m.version)
  }
  await limitSystemLogs(client, o)
  return applied
}

/**
 * ClickHouse's own log tables grow without bound unless given a TTL. A server's config.xml is the
 * durable place for it (see docs/schema.md); this keeps existing tables bounded meanwhile.
 */
async function limitSystemLogs(
  client: ClickHouseClient,
  o: DdlOptions & { systemLogRetentionDays?: number },
): Promise<void> {
  const rs = await client.query({
    query: `SELECT name FROM system.tables WHERE database = 'system' AND name IN {names:Array(String)}`,
    query_params: { names: SYSTEM_LOGS },
    format: 'JSONEachRow',
  })
  const days = o.systemLogRetentionDays ?? 3
  for (const { name } of await rs.json<{ name: string }>()) {
    await client
      .command({ query: `ALTER TABLE system.${name}${onCluster(o)} MODIFY TTL event_date + INTERVAL ${days} DAY` })
      .catch(() => undefined) // a read-only user or an older server: the server config is then the place.
  }
}
