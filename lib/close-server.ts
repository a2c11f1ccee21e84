import type { IncomingMessage, Server, ServerResponse } from 'node:http'

/** How often idle keep-alive connections are closed while a server waits for its answers in flight. */
const SWEEP_MS = 50

/**
 * Prepares a Fastify server for a graceful close and returns that close; call it when the server is
 * built, so it sees every request. Once close() starts:
 * - an answer in flight whose headers are not yet written says `Connection: close`, and Node closes
 *   its connection after it, so its client does not send the next request on a closing connection;
 * - idle keep-alive connections are closed as they appear. Node closes them only when close()
 *   starts: a connection whose answer had begun (a stream) then idles until its keep-alive timeout
 *   (the gateway's 65 s, Fastify's default 72 s) and holds close() — a SIGTERM's shutdown — that long.
 * Requests arriving after close() starts are refused by Fastify (503, `Connection: close`).
 */
export function gracefulClose(app: { server: Server; close(): PromiseLike<unknown> }): () => Promise<void> {
  const answering = new Set<ServerResponse>()
  app.server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    answering.add(res)
    res.once('close', () => answering.delete(res))
  })
  return async () => {
    for (const res of answering) if (!res.headersSent) res.setHeader('connection', 'close')
    const sweep = setInterval(() => app.server.closeIdleConnections(), SWEEP_MS)
    try {
      await app.close()
    } finally {
      clearInterval(sweep)
    }
  }
}
