import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import type { StorageSettings } from '../config.ts'

/**
 * A `@clickhouse/client` for a ClickHouse server when `url` is set, otherwise for embedded chDB.
 * chDB is imported lazily: its native library costs ~270 MB, and only the collector needs it.
 */
export async function createStorageClient(settings: StorageSettings): Promise<ClickHouseClient> {
  const clickhouse_settings = { date_time_input_format: 'best_effort' as const, async_insert: 0 as const }
  if (settings.url) {
    return createClient({
      url: settings.url,
      username: settings.username ?? 'default',
      password: settings.password ?? '',
      clickhouse_settings,
      request_timeout: 60_000,
    })
  }
  const path = resolve(settings.path)
  mkdirSync(path, { recursive: true })
  const { createChdbConnection } = await import('chdb/connection')
  // chdb types its Connection against its own copy of @clickhouse/client-common; the runtime shape is the same.
  type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection']
  const connection = createChdbConnection({ path }) as unknown as ClientConnection
  return createClient({ connection, clickhouse_settings })
}
