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
  close(): Promise<void>
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
    close: () => client.close(),
  }
}
