import { pino, type Logger } from 'pino'

export type { Logger }

export function createLogger(level: string): Logger {
  return pino({
    level,
    // Secrets never reach a log line, even when a request object is logged whole.
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', '*.apiKey', '*.adminToken'],
      censor: '[redacted]',
    },
  })
}
