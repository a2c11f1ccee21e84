import { ApiError } from './api/errors.ts'

/** How long the dashboard's admin call waits on the gateway. */
const GATEWAY_TIMEOUT_MS = 10_000

/**
 * The collector's line to the gateway's admin API, for the dashboard: the browser talks only to the
 * collector (one origin, one sign-in), and the collector calls the gateway with the admin token it
 * shares with it. Only callers the collector already knows to be admins are relayed (api/admin.ts).
 */
export class GatewayLink {
  constructor(
    private readonly url: () => string | undefined,
    private readonly token: string | undefined,
  ) {}

  /** The gateway's status and JSON answer (its refusals included, passed on as they are). */
  async call(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const base = this.url()
    if (!base || !this.token) {
      throw new ApiError(
        503,
        'the admin API needs the gateway: set collector.gatewayUrl (and the admin token the gateway uses), or run `loopgate start`',
      )
    }
    let res: Response
    try {
      res = await fetch(`${base.replace(/\/+$/, '')}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(GATEWAY_TIMEOUT_MS),
      })
    } catch (err) {
      throw new ApiError(502, `the gateway did not answer at ${base}: ${(err as Error).message}`)
    }
    const text = await res.text()
    try {
      return { status: res.status, body: text ? JSON.parse(text) : {} }
    } catch {
      throw new ApiError(502, `the gateway answered HTTP ${res.status} without JSON`)
    }
  }
}
