import type { Store } from '../storage/store.ts'

/** Runs a parameterized SELECT and returns its rows. Values travel only as `{name:Type}` parameters. */
export async function select<T>(store: Store, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await store.client.query({ query, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}

/** ClickHouse may print 64-bit integers as numbers or strings; the API returns numbers for counts. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v))
