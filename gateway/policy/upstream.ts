import { Agent, type Dispatcher } from 'undici'
import type { PolicySettings } from '../config.ts'
import { upstreamErrorMessage } from '../errors.ts'
import type { Operation } from '../providers/types.ts'
import { upstreamPath, type Provider } from '../providers/registry.ts'
import { Abort } from './abort.ts'
import { retryAfterMs } from './backoff.ts'

export type AttemptOutcome =
  | { kind: 'ok'; status: number; body: Dispatcher.ResponseData['body']; text: string | undefined }
  | { kind: 'http_error'; status: number; message: string; retryAfterMs: number | undefined }
  | { kind: 'timeout'; message: string }
  | { kind: 'connection'; message: string }
  | { kind: 'aborted' }

/** Keep-alive agents shared by every request, one per connect timeout in use. */
export class Upstreams {
  private readonly agents = new Map<string, Agent>()

  agent(connectMs: number, connections: number): Agent {
    const key = `${connectMs}:${connections}`
    let a = this.agents.get(key)
    if (!a) {
      a = new Agent({ connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connect: { timeout: connectMs } })
      this.agents.set(key, a)
    }
    return a
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.destroy()))
  }
}

export class TotalTimeout extends Error {
  constructor(ms: number) {
    super(`upstream did not finish within ${ms} ms`)
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

export function classify(err: unknown, signal: Abort, clientSignal: Abort): AttemptOutcome {
  if (clientSignal.aborted) return { kind: 'aborted' }
  if (signal.aborted && signal.reason instanceof TotalTimeout) return { kind: 'timeout', message: signal.reason.message }
  const e = err as { code?: string; message?: string; cause?: { code?: string } }
  const code = e.code ?? e.cause?.code
  if (code && TIMEOUT_CODES.has(code)) return { kind: 'timeout', message: `${code}: ${e.message}` }
  return { kind: 'connection', message: `${code ?? 'error'}: ${e.message ?? String(err)}` }
}

/** One attempt's signal: aborted by its total timeout or with the client's; `done()` disarms both. */
class AttemptControl extends Abort {
  outcome: AttemptOutcome = { kind: 'aborted' }
  timer: NodeJS.Timeout | undefined = undefined

  constructor(readonly parent: Abort) {
    super()
  }

  get signal(): Abort {
    return this
  }

  /** An own property, not a method: callers pass it around detached. */
  readonly done = (): void => {
    clearTimeout(this.timer)
    if (this.parent.child === this) this.parent.child = undefined
  }
}

function onTotalTimeout(control: AttemptControl, ms: number): void {
  control.abort(new TotalTimeout(ms))
}

/**
 * One attempt against one target. The returned `signal` stays armed for the total timeout while a
 * stream is relayed; `done()` disarms it.
 */
export async function callUpstream(
  upstreams: Upstreams, provider: Provider, op: Operation, body: string, stream: boolean,
  timeouts: PolicySettings['timeouts'], clientSignal: Abort, extraHeaders: Record<string, string>,
): Promise<{ outcome: AttemptOutcome; signal: Abort; done(): void }> {
  const control = new AttemptControl(clientSignal)
  if (clientSignal.aborted) control.abort(clientSignal.reason)
  else clientSignal.child = control
  control.timer = setTimeout(onTotalTimeout, timeouts.totalMs, control, timeouts.totalMs)
  try {
    const res = await upstreams.agent(timeouts.connectMs, provider.settings.connections).request({
      origin: provider.origin,
      path: upstreamPath(provider, op),
      method: 'POST',
      headers: extraHeaders === NO_HEADERS ? provider.headers : { ...provider.headers, ...extraHeaders },
      body,
      signal: control,
      headersTimeout: timeouts.firstByteMs,
      // Between two body chunks: a stalled stream counts as a timeout.
      bodyTimeout: timeouts.firstByteMs,
    })
    if (res.statusCode >= 400) {
      const text = await res.body.text().catch(() => '')
      control.outcome = { kind: 'http_error', status: res.statusCode, message: upstreamErrorMessage(text), retryAfterMs: retryAfterMs(res.headers['retry-after']) }
    } else {
      control.outcome = { kind: 'ok', status: res.statusCode, body: res.body, text: stream ? undefined : await res.body.text() }
    }
  } catch (err) {
    control.outcome = classify(err, control, clientSignal)
  }
  return control
}

/** Pass this when nothing is forwarded besides the provider's own headers (saves a copy per attempt). */
export const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>
