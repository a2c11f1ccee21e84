import { Readable } from 'node:stream'
import type { ClickHouseClient } from '@clickhouse/client'
import type { StorageSettings } from '../config.ts'
import { createStorageClient } from './client.ts'
import { migrate } from './migrations.ts'

/** The collector's handle on ClickHouse. Table names are always database-qualified (chDB has no default database per client). */
export interface Store {
  client: ClickHouseClient
  database: string
  /** `spans` → `loopgate.spans` */
  table(name: string): string
  /** Inserts JSONEachRow bytes as they are; resolves once ClickHouse has written them. */
  insertJsonLines(table: string, data: Buffer): Promise<void>
  close(): Promise<void>
}

interface ChdbExtension {
  rawInsert(params: { table: string; values: Buffer; format: 'JSONEachRow' }): Promise<unknown>
}

/**
 * Pre-serialized rows skip @clickhouse/client's per-row encoding. On chDB the buffer is handed
 * to the engine zero-copy (`rawInsert`), which is about twice as fast as `client.insert`.
 */
function jsonLinesInserter(client: ClickHouseClient): Store['insertJsonLines'] {
  const chdb = (client as unknown as { connection?: { chdb?: ChdbExtension } }).connection?.chdb
  if (chdb) return async (table, data) => void (await chdb.rawInsert({ table, values: data, format: 'JSONEachRow' }))
  return async (table, data) => {
    const result = await client.exec({ query: `INSERT INTO ${table} FORMAT JSONEachRow`, values: Readable.from([data]) })
    result.stream.resume()
    await new Promise<void>((resolve, reject) => result.stream.once('end', resolve).once('error', reject))
  }
}

export async function openStore(settings: StorageSettings): Promise<Store> {
  const client = await createStorageClient(settings)
  await migrate(client, {
    database: settings.database,
    cluster: settings.cluster,
    retentionDays: settings.retentionDays,
    systemLogRetentionDays: settings.systemLogRetentionDays,
  })
  return {
    client,
    database: settings.database,
    table: (name) => `${settings.database}.${name}`,
    insertJsonLines: jsonLinesInserter(client),
    close: () => client.close(),
  }
}
