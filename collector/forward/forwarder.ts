import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { ForwardDestination } from '../config.ts'
import type { ConsumeResult } from '../ingest/consume.ts'
import { convertItem, type WireFormat } from './convert.ts'
import { Destination, type ForwardItem } from './destination.ts'
import { createForwardMetrics } from './metrics.ts'

/** How long close() waits for queued requests before dropping them (SIGTERM must finish within 5 s). */
export const FORWARD_CLOSE_GRACE_MS = 1000

/**
 * Fan-out of stored OTLP requests to the configured destinations, as received (same bytes, same
 * Content-Type and Content-Encoding) or re-encoded in the format a destination asks for. The
 * receiver offers a request only after ingest stored and answered it; offering only enqueues, so
 * a slow or failing destination never delays an ack.
 */
export class Forwarder {
  private readonly destinations: Destination[]

  constructor(
    configs: ForwardDestination[],
    registry: Registry,
    private readonly logger: Logger,
  ) {
    const metrics = createForwardMetrics(registry)
    this.destinations = configs.map((c) => new Destination(c, metrics, logger))
  }

  /** Forwards a stored request; skipped when nothing new was stored (all duplicates or all rejected). */
  offer(item: ForwardItem, result: ConsumeResult): void {
    if (result.stored === 0) return
    const encoded = new Map<WireFormat, ForwardItem | undefined>() // one conversion per format, shared by destinations
    for (const d of this.destinations) {
      const accepts = d.accepts(result.tenants)
      if (accepts === false) continue
      // The bytes would carry the refused spans too; only spans that were accepted are forwarded.
      if (result.rejected > 0) d.reject('partially_rejected')
      else if (accepts === 'mixed') d.reject('mixed_tenants')
      else if (d.protocol === 'as-received') d.offer(item)
      else {
        if (!encoded.has(d.protocol)) encoded.set(d.protocol, this.convert(item, d.protocol))
        const converted = encoded.get(d.protocol)
        if (converted) d.offer(converted)
        else d.reject('conversion_failed')
      }
    }
  }

  private convert(item: ForwardItem, to: WireFormat): ForwardItem | undefined {
    try {
      return convertItem(item, to)
    } catch (err) {
      this.logger.warn({ err, to }, 'a stored request could not be re-encoded for forwarding; not forwarded')
      return undefined
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.destinations.map((d) => d.close(FORWARD_CLOSE_GRACE_MS)))
  }
}
