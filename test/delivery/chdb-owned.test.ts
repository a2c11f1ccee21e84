import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/net.ts'
import { startRedis, type RedisServer } from '../helpers/redis.ts'
import { answers, runCli, tempDir, type CliProcess } from './cli-process.ts'

/**
 * A second collector on a chDB directory another process owns is refused: with REDIS_URL set (its
 * evaluation queue holds a Redis connection) it must still exit, non-zero and promptly, saying
 * what is wrong and what to do.
 */
const EXIT_WITHIN_MS = 20_000 // from spawn: loading the CLI and chDB takes a few seconds on a busy machine

let redis: RedisServer
let owner: CliProcess
let second: CliProcess | undefined
let dir: string

beforeAll(async () => {
  redis = await startRedis()
  dir = tempDir('chdb-owned')
  const port = await freePort()
  owner = runCli(['collector'], { dir, yaml: `logLevel: warn\ncollector: { port: ${port}, serveUi: false }\n` })
  await answers(`http://127.0.0.1:${port}/healthz`)
})

afterAll(async () => {
  second?.kill()
  await owner?.stop()
  await redis?.stop()
})

describe('a second collector on an owned chDB directory', () => {
  it('exits non-zero promptly and names the owner problem and CLICKHOUSE_URL (REDIS_URL set)', async () => {
    const port = await freePort()
    const t0 = Date.now()
    second = runCli(['collector'], {
      dir,
      yaml: `logLevel: info\ncollector: { port: ${port}, serveUi: false }\n`,
      env: { REDIS_URL: redis.url },
    })
    const timeout = new Promise<'timeout'>((r) => setTimeout(r, EXIT_WITHIN_MS, 'timeout'))
    const result = await Promise.race([second.exited, timeout])
    const ms = Date.now() - t0
    console.log(
      `second collector: ${result === 'timeout' ? `still running after ${ms} ms` : `exit ${result.code ?? result.signal} after ${ms} ms`}`,
    )
    expect(result, `no exit within ${EXIT_WITHIN_MS} ms:\n${second.output().slice(-2000)}`).not.toBe('timeout')
    if (result === 'timeout') return
    expect(result.code).not.toBe(0)
    expect(result.code).not.toBeNull()
    const fatal =
      second
        .output()
        .split('\n')
        .find((l) => l.includes('"level":60')) ?? ''
    expect(fatal).toMatch(/another process \(PID \d+/)
    expect(fatal).toContain(`PID ${owner.child.pid}`)
    expect(fatal).toMatch(/owns this data directory/)
    expect(fatal).toMatch(/CLICKHOUSE_URL/)
    expect(owner.alive()).toBe(true) // the owner is not disturbed
  })
})
