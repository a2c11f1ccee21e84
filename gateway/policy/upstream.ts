import { Pool, type Dispatcher } from 'undici'
import type { PolicySettings } from '../config.ts'
import { upstreamErrorMessage } from '../errors.ts'
import type { Provider } from '../providers/registry.ts'
import type { SecretMasker } from '../secrets.ts'
import type { Abort } from './abort.ts'
import { AttemptControl, classify, httpError, joined, masked, onTotalTimeout, rawHeader } from './attempt-control.ts'
import { UpstreamStream } from './upstream-stream.ts'

export type AttemptOutcome =
  /** `stream`: the body to relay; otherwise `data`: the whole body. */
  | { kind: 'ok'; status: number; stream: UpstreamStream | undefined; data: Buffer | undefined }
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
    this.control.cancel = undefined
    this.control.outcome =
      this.status >= 400
        ? httpError(this.upstreams, this.status, this.chunks, this.retryAfter)
        : { kind: 'ok', status: this.status, stream: undefined, data: joined(this.chunks) }
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
export function callUpstream(c: UpstreamCall): Promise<{ outcome: AttemptOutcome; signal: Abort; done(): void }> {
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
  return new Promise((resolve) =>
    pool.dispatch(
      options,
      c.stream
        ? new UpstreamStream(control, c.clientSignal, resolve, c.upstreams)
        : new BufferingHandler(control, c.clientSignal, resolve, c.upstreams),
    ),
  )
}

/** Pass this when nothing is forwarded besides the provider's own headers (saves a copy per attempt). */
export const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>
