import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import type { StorageSettings } from '../config.ts'

/** Every statement runs with these (synchronous inserts, so an acknowledged span is stored). */
const SETTINGS = { date_time_input_format: 'best_effort', async_insert: 0 } as const

/**
 * A `@clickhouse/client` for a ClickHouse server when `url` is set, otherwise for embedded chDB.
 * chDB is imported lazily: its native library costs ~270 MB, and only the collector needs it.
 */
export async function createStorageClient(settings: StorageSettings): Promise<ClickHouseClient> {
  if (settings.url) {
    return createClient({
      url: settings.url,
      username: settings.username ?? 'default',
      password: settings.password ?? '',
      clickhouse_settings: SETTINGS,
      request_timeout: 60_000,
    })
  }
  const path = resolve(settings.path)
  mkdirSync(path, { recursive: true })
  const { createChdbConnection } = await import('chdb/connection')
  // chdb types its Connection against its own copy of @clickhouse/client-common; the runtime shape is the same.
  type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection']
  const connection = createChdbConnection({ path }) as unknown as ClientConnection
  const client = createClient({ connection })
  // chDB would prefix every statement with a `SET` per client setting (~0.5 ms each); its session keeps them.
  const assignments = Object.entries(SETTINGS).map(([k, v]) => `${k} = ${typeof v === 'string' ? `'${v}'` : v}`)
  await client.command({ query: `SET ${assignments.join(', ')}` })
  return client
}
