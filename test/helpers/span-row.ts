import { randomBytes } from 'node:crypto'
import type { SpanRow } from '../../collector/storage/span-row.ts'

const hex = (bytes: number) => randomBytes(bytes).toString('hex')

/** A complete, valid `spans` row with random ids; override any column. */
export function spanRow(overrides: Partial<SpanRow> = {}): SpanRow {
  const start = BigInt(Date.now()) * 1_000_000n
  return {
    Timestamp: start.toString(),
    TraceId: hex(16),
    SpanId: hex(8),
    ParentSpanId: '',
    TraceState: '',
    SpanName: 'chat gpt-4o-mini',
    SpanKind: 'Client',
    ServiceName: 'test',
    ResourceAttributes: { 'service.name': 'test' },
    ScopeName: 'test',
    ScopeVersion: '1',
    SpanAttributes: {},
    Duration: '1000000',
    StatusCode: 'Unset',
    StatusMessage: '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
    tenant_id: 'default',
    session_id: '',
    user_id: '',
    operation: 'chat',
    span_type: 'llm',
    convention: 'genai',
    provider: 'openai',
    request_model: 'gpt-4o-mini',
    response_model: 'gpt-4o-mini',
    route: '',
    target: '',
    routing_version: '',
    attempt: 0,
    input_tokens: 10,
    output_tokens: 5,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    cost_usd: '0.000001',
    cost_source: 'provided',
    ttft_ns: '0',
    is_error: 0,
    billable: 1,
    finish_reason: 'stop',
    input_text: '',
    output_text: '',
    ...overrides,
  }
}
