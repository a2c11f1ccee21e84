import type { Span } from '../../collector/client.ts'
import { ROUTE_FAILED } from '../../lib/attributes.ts'
import { quote } from './text.ts'

/**
 * Why a span counts as failed, in words: its status message, else the error attributes producers
 * set (error.type, an HTTP status, an exception event), else what marked it. A bare OTel status
 * code ("Unset", "Error") says nothing to a reader, so it is never the whole reason.
 */
export function failureDescription(span: Span): string {
  if (span.status_message) return quote(span.status_message)
  const a = span.attributes ?? {}
  const exception = span.events?.find((e) => e.name === 'exception')?.attributes
  const parts: string[] = []
  if (a['error.type']) parts.push(`error type ${quote(a['error.type'])}`)
  const http = a['http.response.status_code'] ?? a['http.status_code']
  if (http) parts.push(`HTTP ${http}`)
  if (exception?.['exception.type'] || exception?.['exception.message']) {
    parts.push(
      `exception ${quote([exception['exception.type'], exception['exception.message']].filter(Boolean).join(': '))}`,
    )
  }
  if (parts.length > 0) return parts.join(', ')
  if (a[ROUTE_FAILED] === 'true') return 'every target of the route failed'
  if (span.status_code === 'Error') return 'the span has error status, with no message'
  return 'the span is marked as an error (by an error attribute), with no message'
}
