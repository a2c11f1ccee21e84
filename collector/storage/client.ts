import { mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
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
  let connection: ClientConnection
  try {
    connection = createChdbConnection({ path }) as unknown as ClientConnection
  } catch (err) {
    throw new Error(openFailure(path, err as Error), { cause: err })
  }
  const client = createClient({ connection })
  // chDB would prefix every statement with a `SET` per client setting (~0.5 ms each); its session keeps them.
  const assignments = Object.entries(SETTINGS).map(([k, v]) => `${k} = ${typeof v === 'string' ? `'${v}'` : v}`)
  await client.command({ query: `SET ${assignments.join(', ')}` })
  return client
}

/**
 * Why chDB could not open `path`, in words an operator can act on. Embedded ClickHouse locks the
 * directory's `status` file (which names the owner's PID); chDB itself reports only "Failed to
 * create connection for path …".
 */
function openFailure(path: string, err: Error): string {
  const owner = directoryOwner(path)
  if (owner) {
    return (
      `cannot open the chDB data directory ${path}: another process (PID ${owner.pid}${owner.startedAt ? `, started ${owner.startedAt}` : ''}) owns this data directory, and embedded ClickHouse allows one process per directory. ` +
      'Stop that process or give this collector its own directory (LOOPGATE_DATA_DIR or clickhouse.path); to run several collectors, point them all at a ClickHouse server (CLICKHOUSE_URL).'
    )
  }
  return `cannot open the chDB data directory ${path}: ${err.message}. If another process uses this directory, stop it or give this collector its own (LOOPGATE_DATA_DIR or clickhouse.path); several collectors need a ClickHouse server (CLICKHOUSE_URL).`
}

function directoryOwner(path: string): { pid: number; startedAt?: string } | undefined {
  let text: string
  try {
    text = readFileSync(join(path, 'status'), 'utf8')
  } catch {
    return undefined
  }
  const pid = Number(/^PID:\s*(\d+)/m.exec(text)?.[1])
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined
  try {
    process.kill(pid, 0) // existence check only: no signal is sent
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return undefined // gone: a stale status file
  }
  return { pid, startedAt: /^Started at:\s*(.+)$/m.exec(text)?.[1]?.trim() }
}
