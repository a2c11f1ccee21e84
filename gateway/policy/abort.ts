import { EventEmitter } from 'node:events'

/**
 * A cheap abort signal. undici accepts any EventEmitter with `aborted`/`reason` as a `signal`, and
 * an AbortController (EventTarget) per attempt was a measurable share of the gateway's CPU.
 * `child` (the attempt in flight) is aborted with its parent, without a listener per attempt.
 */
export class Abort extends EventEmitter {
  aborted = false
  reason: unknown = undefined
  child: Abort | undefined = undefined

  abort(reason?: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason ?? new Error('aborted')
    this.child?.abort(this.reason)
    this.emit('abort')
  }
}
