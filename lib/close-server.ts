import type { Server } from 'node:http'

/** How often idle keep-alive connections are closed while a server waits for its answers in flight. */
const SWEEP_MS = 50

/**
 * Closes a Fastify server once the requests in flight are answered. Node closes idle keep-alive
 * connections only when close() starts: a connection whose answer ends later then idles until its
 * keep-alive timeout (the gateway's 65 s, Fastify's default 72 s) and holds close() — a SIGTERM's
 * shutdown — that long. So idle connections are closed as they appear until the server is down. A
 * client that reuses such a connection in that moment fails as a new connection would: the server
 * is no longer taking requests.
 */
export async function closeServer(app: { server: Server; close(): PromiseLike<unknown> }): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), SWEEP_MS)
  try {
    await app.close()
  } finally {
    clearInterval(sweep)
  }
}
