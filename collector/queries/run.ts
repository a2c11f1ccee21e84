// The one way collector code talks to ClickHouse for reads and small writes. Every statement
// carries a tag: ClickHouse records it as `log_comment` in system.query_log, and the collector's
// /metrics observes its latency in `loopgate_collector_query_seconds{query="<tag>"}`.
import type { Store } from '../storage/store.ts'

/** Query parameters, bound as `{name:Type}` placeholders; values never enter the SQL text. */
export type Params = Record<string, unknown>

/**
 * Which tenant's rows a query may read (the API's TenantScope is one): `where()` is a constant SQL
 * condition on the tenant column, `params()` binds its `{tenant:String}` value; none for all tenants.
 */
export interface TenantFilter {
  where(column?: string): string
  params(): Record<string, string>
}

async function timed<T>(store: Store, tag: string, work: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint()
  try {
    return await work()
  } finally {
    store.observeQuery(tag, Number(process.hrtime.bigint() - started) / 1e9)
  }
}

const settings = (tag: string) => ({ log_comment: tag })

/** Runs a tagged, parameterized SELECT and returns its rows (JSONEachRow). */
export function runQuery<T>(store: Store, tag: string, sql: string, params: Params = {}): Promise<T[]> {
  return timed(store, tag, async () => {
    const rs = await store.client.query({
      query: sql,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: settings(tag),
    })
    return rs.json<T>()
  })
}

/** Runs a tagged statement that returns no rows (INSERT … SELECT, DDL). */
export function runCommand(store: Store, tag: string, sql: string, params: Params = {}): Promise<void> {
  return timed(store, tag, async () => {
    await store.client.command({ query: sql, query_params: params, clickhouse_settings: settings(tag) })
  })
}

/** Runs a tagged query whose SQL names its own output FORMAT and returns the raw bytes. */
export function runRaw(store: Store, tag: string, sql: string, params: Params = {}): Promise<Buffer> {
  return timed(store, tag, async () => {
    const result = await store.client.exec({ query: sql, query_params: params, clickhouse_settings: settings(tag) })
    const chunks: Buffer[] = []
    for await (const chunk of result.stream) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  })
}

/** Inserts JSON rows into a table (`store.table(name)` is applied here). */
export function runInsert(store: Store, tag: string, table: string, values: readonly object[]): Promise<void> {
  return timed(store, tag, async () => {
    await store.client.insert({
      table: store.table(table),
      values: values as object[],
      format: 'JSONEachRow',
      clickhouse_settings: settings(tag),
    })
  })
}

/** ClickHouse may print 64-bit integers as numbers or strings; the API returns numbers for counts. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v))
