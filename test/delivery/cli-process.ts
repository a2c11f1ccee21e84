import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ADMIN = 'delivery-admin-token-0123456789'
const CLI = join(import.meta.dirname, '../../bin/loopgate.mjs')

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** One `node bin/loopgate.mjs …` child with its whole output kept (stdout and stderr interleaved). */
export interface CliProcess {
  child: ChildProcess
  dir: string
  output(): string
  alive(): boolean
  exited: Promise<Exit>
  /** Resolves when the output matches `pattern`; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>
  /** Sends `signal` and measures how long the process takes to exit (kills it after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit & { ms: number; timedOut: boolean }>
  /** SIGKILL if still running (cleanup). */
  kill(): void
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `loopgate-${prefix}-`))
}

/** Writes `yaml` to `<dir>/loopgate.yaml` and runs `loopgate <args> --config <that file>` with the data under `dir`. */
export function runCli(
  args: string[],
  options: { dir: string; yaml: string; env?: Record<string, string | undefined> },
): CliProcess {
  const config = join(options.dir, 'loopgate.yaml')
  writeFileSync(config, options.yaml)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOOPGATE_ADMIN_TOKEN: ADMIN,
    LOOPGATE_DATA_DIR: options.dir,
    ...options.env,
  }
  delete env.REDIS_URL
  if (options.env?.REDIS_URL) env.REDIS_URL = options.env.REDIS_URL
  const child = spawn(process.execPath, [CLI, ...args, '--config', config], {
    env,
    cwd: options.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  const listeners = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    text += chunk.toString()
    for (const l of listeners) l()
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const l of listeners) l()
      resolve({ code, signal })
    }),
  )
  const alive = () => child.exitCode === null && child.signalCode === null
  return {
    child,
    dir: options.dir,
    output: () => text,
    alive,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) return done(() => resolve())
          if (!alive())
            return done(() =>
              reject(
                new Error(
                  `loopgate ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${text.slice(-3000)}`,
                ),
              ),
            )
        }
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new Error(
                  `no ${pattern} from loopgate ${args.join(' ')} within ${timeoutMs} ms:\n${text.slice(-3000)}`,
                ),
              ),
            ),
          timeoutMs,
        )
        const done = (f: () => void) => {
          clearTimeout(timer)
          listeners.delete(check)
          f()
        }
        listeners.add(check)
        check()
      })
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      const t0 = Date.now()
      if (!alive()) return { ...(await exited), ms: 0, timedOut: false }
      child.kill(signal)
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        child.kill('SIGKILL')
      }, timeoutMs)
      const exit = await exited
      clearTimeout(timer)
      return { ...exit, ms: Date.now() - t0, timedOut }
    },
    kill() {
      if (alive()) child.kill('SIGKILL')
    },
  }
}

/** Polls until `url` answers with a status below 500. */
export async function answers(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      await res.arrayBuffer()
      if (res.status < 500) return
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
