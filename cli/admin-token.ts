import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The admin token of `loopgate start` when none is configured: made once, kept readable only by
 * its owner under the data directory, so the dashboard login survives restarts and the
 * components of one process can talk to each other.
 */
export function localAdminToken(dataDir: string): { token: string; path: string } {
  const path = join(dataDir, 'admin-token')
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), path }
  mkdirSync(dataDir, { recursive: true })
  const token = randomBytes(24).toString('hex')
  writeFileSync(path, `${token}\n`, { mode: 0o600 })
  return { token, path }
}
