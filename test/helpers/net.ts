import { createServer } from 'node:net'

/*
 * Ports for processes a test starts with a fixed config. Asking the OS for an ephemeral port and
 * closing the probe races: the port goes back to the ephemeral pool, where another test file's
 * listen(0) or outgoing connection can take it before the child binds. So each vitest worker draws
 * from its own block below the ephemeral range (32768+ on Linux) and never hands a port out twice.
 */
const FIRST_PORT = 20_000
const PORTS_PER_WORKER = 1_000
const WORKER = Number(process.env.VITEST_POOL_ID ?? 0) % 12
const handedOut = new Set<number>()
// A random start, so consecutive test files in one worker do not retry the ports of the last one's children.
let cursor = Math.floor(Math.random() * PORTS_PER_WORKER)

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })

/** A loopback port no other test worker draws from, free now and not handed out before in this worker. */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < PORTS_PER_WORKER; tried++) {
    const port = FIRST_PORT + WORKER * PORTS_PER_WORKER + (cursor++ % PORTS_PER_WORKER)
    if (!handedOut.has(port) && (await isFree(port))) {
      handedOut.add(port)
      return port
    }
  }
  throw new Error(`no free port left in this worker's block of ${PORTS_PER_WORKER}`)
}

/** Polls `probe` until it returns a value (generous deadline: correctness, not speed, is under test). */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
