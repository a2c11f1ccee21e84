import type { Span } from '@opentelemetry/api'
import type { FastifyRequest } from 'fastify'
import type { RouteCacheSettings, RouteSettings } from '../config.ts'
import { GatewayError } from '../errors.ts'
import type { Operation, Protocol } from '../providers/types.ts'
import { CACHE_HIT, CACHE_STATUS } from '../../lib/attributes.ts'
import { answerForm, cacheKey, type AnswerForm } from './key.ts'
import type { CacheEntry, CacheStore } from './store.ts'

/** What the request asked of the cache: read and keep (`lookup`), keep a fresh answer (`refresh`), or neither (`bypass`). */
export type CacheMode = 'lookup' | 'refresh' | 'bypass'

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)

/**
 * `x-loopgate-cache: bypass | refresh` wins; else `cache-control: no-store` bypasses and
 * `cache-control: no-cache` refreshes (HTTP's meaning: do not answer from a cache, a fresh answer may be kept).
 */
export function cacheMode(req: FastifyRequest): CacheMode {
  const asked = first(req.headers['x-loopgate-cache'])?.trim().toLowerCase()
  if (asked) {
    if (asked === 'bypass' || asked === 'refresh') return asked
    throw new GatewayError(
      400,
      `x-loopgate-cache must be "bypass" (neither read nor keep) or "refresh" (fetch and keep a fresh answer), not "${asked.slice(0, 40)}"`,
      'invalid_request',
      {},
      'x-loopgate-cache',
    )
  }
  const control = first(req.headers['cache-control'])?.toLowerCase()
  if (control) {
    if (control.includes('no-store')) return 'bypass'
    if (control.includes('no-cache')) return 'refresh'
  }
  return 'lookup'
}

/** The response cache of every route of this gateway: one store and its counters. */
export class ResponseCache {
  readonly counts = { hit: 0, miss: 0, refresh: 0, bypass: 0, stored: 0, too_large: 0 }

  constructor(readonly store: CacheStore) {}

  /** The cache's part in this request; undefined when the route has no cache or the request is a Responses call. */
  request(
    req: FastifyRequest,
    route: Pick<RouteSettings, 'cache' | 'capture'>,
    parts: { tenantId: string; route: string; protocol: Protocol; op: Operation; body: Record<string, unknown> },
  ): CacheRequest | undefined {
    const settings = route.cache
    // A Responses answer is stateful (its id is what previous_response_id chains from), so it is not cached.
    if (!settings || parts.protocol === 'responses') return undefined
    const mode = cacheMode(req)
    const form = answerForm(parts.protocol, parts.body)
    const key =
      mode === 'bypass'
        ? ''
        : cacheKey({
            ...parts,
            form,
            headers: [first(req.headers['x-loopgate-tags']), first(req.headers['anthropic-beta'])],
          })
    return new CacheRequest(this, settings, route.capture, mode, form, key)
  }
}

/** One request of a cache-enabled route: its key, what it asked, and how to keep its answer. */
export class CacheRequest {
  constructor(
    private readonly cache: ResponseCache,
    readonly settings: RouteCacheSettings,
    /** The route's capture setting: kept output is shown on a hit only under the same one. */
    readonly capture: RouteSettings['capture'],
    readonly mode: CacheMode,
    readonly form: AnswerForm,
    private readonly key: string,
  ) {}

  /** The cached answer when there is one to serve; marks the span and the answer's headers either way. */
  async lookup(span: Span, headers: Record<string, string>): Promise<CacheEntry | undefined> {
    const entry = this.mode === 'lookup' ? await this.cache.store.get(this.key) : undefined
    const status = entry ? 'hit' : this.mode === 'lookup' ? 'miss' : this.mode
    this.cache.counts[status]++
    // A refresh fetched a fresh answer: for the client it is a miss.
    headers['x-loopgate-cache'] = status === 'refresh' ? 'miss' : status
    span.setAttributes({ [CACHE_STATUS]: status, [CACHE_HIT]: status === 'hit' })
    return entry
  }

  /** A recorder for a streamed answer, bounded by the entry size (undefined when nothing will be kept). */
  recorder(): StreamRecorder | undefined {
    return this.mode === 'bypass' ? undefined : new StreamRecorder(this, this.settings.maxEntryBytes)
  }

  tooLarge(): void {
    this.cache.counts.too_large++
  }

  /** Keeps a complete, successful answer (the caller decides that); too large ones are only counted. */
  keep(body: string | Buffer, costUsd: string, target: string, output: string | undefined): void {
    if (this.mode === 'bypass') return
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (Buffer.byteLength(text) > this.settings.maxEntryBytes) return this.tooLarge()
    const entry: CacheEntry = { form: this.form, body: text, costUsd, target, storedAt: Date.now() }
    if (output !== undefined) {
      entry.output = output
      entry.capture = this.capture
    }
    this.cache.counts.stored++
    void this.cache.store.set(this.key, entry, this.settings.ttlSeconds * 1000)
  }
}

/** Collects the SSE text sent to the client, until it grows past the entry bound. */
export class StreamRecorder {
  private readonly parts: string[] = []
  private bytes = 0
  overflow = false

  constructor(
    private readonly cache: CacheRequest,
    private readonly maxBytes: number,
  ) {}

  readonly tap = (text: string): void => {
    if (this.overflow) return
    this.bytes += Buffer.byteLength(text)
    if (this.bytes > this.maxBytes) {
      this.overflow = true
      this.parts.length = 0
    } else this.parts.push(text)
  }

  /** Keeps the completed stream as recorded; one that outgrew the entry bound is only counted. */
  keep(costUsd: string, target: string, output: string | undefined): void {
    if (this.overflow) this.cache.tooLarge()
    else this.cache.keep(this.parts.join(''), costUsd, target, output)
  }
}
