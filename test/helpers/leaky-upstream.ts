import { createServer, type Server } from 'node:http'

/**
 * An upstream that starts a stream, then fails it quoting the credential it received, in each
 * protocol's shape: Responses (`response.failed`), Anthropic (`event: error`), OpenAI chat (`data: {"error": …}`).
 */
export function startLeakyUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    const auth = String(req.headers.authorization ?? req.headers['x-api-key'] ?? '')
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`
      if (req.url?.endsWith('/responses')) {
        const response = { id: 'resp_1', object: 'response', status: 'in_progress', model: 'leaky', output: [] }
        res.write(ev('response.created', { sequence_number: 0, response }))
        res.end(
          ev('response.failed', {
            sequence_number: 1,
            response: { ...response, status: 'failed', error: { code: 'server_error', message: `boom; key ${auth}` } },
          }),
        )
      } else if (req.url?.endsWith('/messages')) {
        res.write(
          ev('message_start', {
            message: {
              id: 'msg_1',
              type: 'message',
              role: 'assistant',
              model: 'leaky',
              content: [],
              usage: { input_tokens: 3, output_tokens: 0 },
            },
          }),
        )
        res.end(ev('error', { error: { type: 'overloaded_error', message: `overloaded; your key was ${auth}` } }))
      } else {
        res.write(
          `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'leaky', choices: [{ index: 0, delta: { content: 'Hel' } }] })}\n\n`,
        )
        res.end(
          `data: ${JSON.stringify({ error: { message: `stream aborted, key ${auth}`, type: 'server_error' } })}\n\n`,
        )
      }
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}
