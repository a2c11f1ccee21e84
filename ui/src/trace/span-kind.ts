import { SPAN_ROLE } from '../../../lib/attributes.ts'

interface KindFields {
  span_type: string
  operation: string
  attempt: number
  is_error: boolean
  attributes?: Record<string, string>
}

/** A short label per span: agent, tool, retrieval, llm, and the gateway's request and attempt spans. */
export function spanKindLabel(span: KindFields): string {
  const gatewaySpan = span.attributes?.[SPAN_ROLE]
  if (gatewaySpan === 'attempt') return `attempt ${span.attempt || ''}`.trim()
  if (gatewaySpan === 'request') return 'gateway'
  return span.span_type || span.operation || 'span'
}

export const spanKindClass = (span: KindFields): string =>
  `kind-${(span.attributes?.[SPAN_ROLE] ?? span.span_type ?? 'other').replace(/[^a-z]/gi, '') || 'other'}${span.is_error ? ' is-error' : ''}`
