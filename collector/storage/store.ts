import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
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
  /** Inserts Native-format blocks (see native-block.ts) into the named columns; resolves once ClickHouse has written them. */
  insertNative(table: string, columns: readonly string[], data: Buffer): Promise<void>
  /** Records one tagged query's latency (collector/queries/run.ts); the collector feeds its /metrics from it. */
  observeQuery(tag: string, seconds: number): void
  close(): Promise<void>
}

export interface StoreOptions {
  /** Receives each tagged query's latency; none by default. */
  observeQuery?: (tag: string, seconds: number) => void
}

const columnList = (columns: readonly string[]) => columns.map((c) => `\`${c}\``).join(', ')

/**
 * A server takes the Native body over HTTP. chDB cannot take binary data inline, so the blocks
 * are staged in a file next to its data and read with the `file` table function; the file is
 * removed once the INSERT has finished either way.
 */
function nativeInserter(client: ClickHouseClient, settings: StorageSettings): Store['insertNative'] {
  if (settings.url) {
    return async (table, columns, data) => {
      const result = await client.exec({
        query: `INSERT INTO ${table} (${columnList(columns)}) FORMAT Native`,
        values: Readable.from([data]),
      })
      result.stream.resume()
      await new Promise<void>((resolve, reject) => result.stream.once('end', resolve).once('error', reject))
    }
  }
  const staging = join(resolve(settings.path), 'staging')
  mkdirSync(staging, { recursive: true })
  removeOrphans(staging)
  let sequence = 0
  return async (table, columns, data) => {
    const file = join(staging, `${process.pid}-${++sequence}.native`)
    await writeFile(file, data)
    try {
      await client.command({
        query: `INSERT INTO ${table} (${columnList(columns)}) SELECT * FROM file({file:String}, 'Native')`,
        query_params: { file },
      })
    } finally {
      await rm(file, { force: true })
    }
  }
}

/** Staged files of a process that is gone (it crashed mid-INSERT) are never read again. */
function removeOrphans(staging: string): void {
  for (const name of readdirSync(staging)) {
    const pid = Number(name.split('-')[0])
    if (pid !== process.pid && !isAlive(pid)) rmSync(join(staging, name), { force: true })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export async function openStore(settings: StorageSettings, options: StoreOptions = {}): Promise<Store> {
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
    insertNative: nativeInserter(client, settings),
    observeQuery: options.observeQuery ?? (() => undefined),
    close: () => client.close(),
  }
}
