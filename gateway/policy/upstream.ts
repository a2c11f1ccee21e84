import { Pool, type Dispatcher } from 'undici'
import type { PolicySettings } from '../config.ts'
import { upstreamErrorMessage } from '../errors.ts'
import type { Provider } from '../providers/registry.ts'
import type { SecretMasker } from '../secrets.ts'
import { Abort } from './abort.ts'
import { retryAfterMs } from './backoff.ts'

export type AttemptOutcome =
  /** `stream`: the body to relay; otherwise `data`: the whole body. */
  | { kind: 'ok'; status: number; stream: Dispatcher.ResponseData['body'] | undefined; data: Buffer | undefined }
  | { kind: 'http_error'; status: number; message: string; retryAfterMs: number | undefined }
  | { kind: 'timeout'; message: string }
  | { kind: 'connection'; message: string }
  | { kind: 'aborted' }

/** Keep-alive pools shared by every request: one per upstream origin and connect timeout. */
export class Upstreams {
  private readonly pools = new Map<string, Pool>()

  /** Every upstream error text is masked here, at its source, before a client, span or admin page sees it. */
  constructor(private readonly masker?: SecretMasker) {}

  mask(text: string): string {
    return this.masker ? this.masker.mask(text) : text
  }

  /** An upstream error answer → its masked message. */
  errorMessage(body: string): string {
    return this.mask(upstreamErrorMessage(body))
  }

  pool(provider: Provider, connectMs: number): Pool {
    const key = `${connectMs} ${provider.origin}`
    let p = this.pools.get(key)
    if (!p) {
      p = new Pool(provider.origin, {
        connections: provider.settings.connections,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        connect: { timeout: connectMs },
      })
      this.pools.set(key, p)
    }
    return p
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()))
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
  if (signal.aborted && signal.reason instanceof TotalTimeout)
    return { kind: 'timeout', message: signal.reason.message }
  const e = err as { code?: string; message?: string; cause?: { code?: string } }
  const code = e.code ?? e.cause?.code
  if (code && TIMEOUT_CODES.has(code)) return { kind: 'timeout', message: `${code}: ${e.message}` }
  return { kind: 'connection', message: `${code ?? 'error'}: ${e.message ?? String(err)}` }
}

/** Connection and timeout errors may quote what a proxy or TLS layer said: masked like upstream answers. */
function masked(upstreams: Upstreams, o: AttemptOutcome): AttemptOutcome {
  if (o.kind === 'timeout' || o.kind === 'connection') o.message = upstreams.mask(o.message)
  return o
}

/** One attempt's signal: aborted by its total timeout or with the client's; `done()` disarms both. */
class AttemptControl extends Abort {
  outcome: AttemptOutcome = { kind: 'aborted' }
  timer: NodeJS.Timeout | undefined = undefined
  /** undici's abort for a buffered call, once the request is queued. */
  cancel: ((err: Error) => void) | undefined = undefined

  constructor(readonly parent: Abort) {
    super()
  }

  override abort(reason?: unknown): void {
    if (this.aborted) return
    super.abort(reason)
    this.cancel?.(this.reason as Error)
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

/** A header of undici's raw `[name, value, …]` list, by lower-case name. */
function rawHeader(raw: Buffer[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === name.length && raw[i]!.toString('latin1').toLowerCase() === name)
      return raw[i + 1]!.toString('latin1')
  }
  return undefined
}

/**
 * A whole (non-streamed) answer through undici's dispatch API: the chunks are kept as they arrive,
 * without the Readable stream, promise and async resource that `request()` builds per call.
 */
class BufferingHandler implements Dispatcher.DispatchHandler {
  private status = 0
  private retryAfter: string | undefined
  private readonly chunks: Buffer[] = []

  constructor(
    private readonly control: AttemptControl,
    private readonly clientSignal: Abort,
    private readonly resolve: (c: AttemptControl) => void,
    private readonly upstreams: Upstreams,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    if (this.control.aborted) abort(this.control.reason as Error)
    else this.control.cancel = abort
  }

  onHeaders(status: number, raw: Buffer[]): boolean {
    this.status = status
    if (status >= 400) this.retryAfter = rawHeader(raw, 'retry-after')
    return true
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk)
    return true
  }

  onComplete(): void {
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
    this.control.cancel = undefined
    this.control.outcome =
      this.status >= 400
        ? {
            kind: 'http_error',
            status: this.status,
            message: this.upstreams.errorMessage(data.toString()),
            retryAfterMs: retryAfterMs(this.retryAfter),
          }
        : { kind: 'ok', status: this.status, stream: undefined, data }
    this.resolve(this.control)
  }

  onError(err: Error): void {
    this.control.cancel = undefined
    this.control.outcome = masked(this.upstreams, classify(err, this.control, this.clientSignal))
    this.resolve(this.control)
  }
}

export interface UpstreamCall {
  upstreams: Upstreams
  provider: Provider
  /** Upstream path (base path and query included). */
  path: string
  body: string
  stream: boolean
  timeouts: PolicySettings['timeouts']
  clientSignal: Abort
  extraHeaders: Record<string, string>
}

/**
 * One attempt against one target. The returned `signal` stays armed for the total timeout while a
 * stream is relayed; `done()` disarms it.
 */
export async function callUpstream(c: UpstreamCall): Promise<{ outcome: AttemptOutcome; signal: Abort; done(): void }> {
  const control = new AttemptControl(c.clientSignal)
  if (c.clientSignal.aborted) control.abort(c.clientSignal.reason)
  else c.clientSignal.child = control
  control.timer = setTimeout(onTotalTimeout, c.timeouts.totalMs, control, c.timeouts.totalMs)
  const options: Dispatcher.DispatchOptions = {
    path: c.path,
    method: 'POST',
    headers: c.extraHeaders === NO_HEADERS ? c.provider.headers : { ...c.provider.headers, ...c.extraHeaders },
    body: c.body,
    headersTimeout: c.timeouts.firstByteMs,
    // Between two body chunks: a stalled stream counts as a timeout.
    bodyTimeout: c.timeouts.firstByteMs,
  }
  const pool = c.upstreams.pool(c.provider, c.timeouts.connectMs)
  if (!c.stream)
    return new Promise((resolve) =>
      pool.dispatch(options, new BufferingHandler(control, c.clientSignal, resolve, c.upstreams)),
    )
  try {
    const res = await pool.request({ ...options, signal: control })
    if (res.statusCode >= 400) {
      const text = await res.body.text().catch(() => '')
      control.outcome = {
        kind: 'http_error',
        status: res.statusCode,
        message: c.upstreams.errorMessage(text),
        retryAfterMs: retryAfterMs(res.headers['retry-after']),
      }
    } else {
      control.outcome = { kind: 'ok', status: res.statusCode, stream: res.body, data: undefined }
    }
  } catch (err) {
    control.outcome = masked(c.upstreams, classify(err, control, c.clientSignal))
  }
  return control
}

/** Pass this when nothing is forwarded besides the provider's own headers (saves a copy per attempt). */
export const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>
