import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A real redis-server on a free loopback port that can be restarted on the same port with its
 * data (append-only file, fsync always). test/helpers/redis.ts (the gateway's) has no restart.
 */
export interface RestartableRedis {
  url: string
  port: number
  stop(): Promise<void>
  /** SIGTERM (data saved), then start again on the same port and directory. */
  restart(): Promise<void>
  /** Stops without starting again (for a window of downtime); `start()` brings it back. */
  halt(): Promise<void>
  start(): Promise<void>
}

const BINARY = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server'

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const sock = connect(port, '127.0.0.1')
    sock.once('connect', () => {
      sock.destroy()
      resolve(true)
    })
    sock.once('error', () => resolve(false))
  })

export async function startRestartableRedis(): Promise<RestartableRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-eval-redis-'))
  let child: ChildProcess | undefined

  const start = async () => {
    const c = spawn(
      BINARY,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
      ],
      { stdio: 'ignore' },
    )
    child = c
    const deadline = Date.now() + 10_000
    while (!(await canConnect(port))) {
      if (c.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }
  const halt = async () => {
    const c = child
    if (!c || c.exitCode !== null) return
    const exited = new Promise((r) => c.once('exit', r))
    c.kill('SIGTERM')
    await exited
  }

  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    halt,
    restart: async () => {
      await halt()
      await start()
    },
    stop: async () => {
      await halt()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
