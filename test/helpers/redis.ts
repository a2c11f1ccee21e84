import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort } from './net.ts'

export interface RedisServer {
  url: string
  port: number
  /** The redis-server process id (tests kill it mid-load to simulate an outage). */
  pid: number
  stop(): Promise<void>
}

/** A real redis-server on a free loopback port in a temporary directory; `stop()` kills it by PID. */
export async function startRedis(
  binary = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server',
  fixedPort?: number,
): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-redis-'))
  const port = fixedPort ?? (await freePort())
  const child: ChildProcess = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  const url = `redis://127.0.0.1:${port}`
  const deadline = Date.now() + 10_000
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on('error', () => {}) // expected while the server is still starting
    try {
      await probe.connect()
      await probe.ping()
      probe.disconnect()
      break
    } catch {
      probe.disconnect()
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL')
        rmSync(dir, { recursive: true, force: true })
        throw new Error(`redis-server did not start on port ${port}`)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return {
    url,
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
