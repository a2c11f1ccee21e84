import { Abort } from './abort.ts'
import { retryAfterMs } from './backoff.ts'
import type { AttemptOutcome, Upstreams } from './upstream.ts'

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
export function masked(upstreams: Upstreams, o: AttemptOutcome): AttemptOutcome {
  if (o.kind === 'timeout' || o.kind === 'connection') o.message = upstreams.mask(o.message)
  return o
}

/** One attempt's signal: aborted by its total timeout or with the client's; `done()` disarms both. */
export class AttemptControl extends Abort {
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

export function onTotalTimeout(control: AttemptControl, ms: number): void {
  control.abort(new TotalTimeout(ms))
}

/** An answer's body chunks as one buffer (the one chunk itself when there is one). */
export function joined(chunks: Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}

/** An error answer (≥ 400): its text, masked into the message the client sees, and its Retry-After. */
export function httpError(
  upstreams: Upstreams,
  status: number,
  body: Buffer[],
  retryAfter: string | undefined,
): AttemptOutcome {
  return {
    kind: 'http_error',
    status,
    message: upstreams.errorMessage(joined(body).toString()),
    retryAfterMs: retryAfterMs(retryAfter),
  }
}

/** A header of undici's raw `[name, value, …]` list, by lower-case name. */
export function rawHeader(raw: Buffer[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === name.length && raw[i]!.toString('latin1').toLowerCase() === name)
      return raw[i + 1]!.toString('latin1')
  }
  return undefined
}
