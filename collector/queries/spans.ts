// Reads of the spans table for trace trees and session timelines.
import type { SpanRow } from '../storage/span-row.ts'
import type { Store } from '../storage/store.ts'
import { runQuery, type TenantFilter } from './run.ts'

/** Columns for a timeline entry; `SPAN_COLUMNS_FULL` adds the payload. */
const SPAN_COLUMNS_BRIEF = `
  TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, ScopeName,
  toString(toUnixTimestamp64Nano(Timestamp)) AS start_ns, toString(Duration) AS duration_ns,
  StatusCode, StatusMessage, tenant_id, session_id, user_id, operation, span_type, convention,
  provider, request_model, response_model, route, target, routing_version, attempt,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
  toString(cost_usd) AS cost, cost_source, usage_source, toString(ttft_ns) AS ttft, is_error, billable, finish_reason`

const SPAN_COLUMNS_FULL = `${SPAN_COLUMNS_BRIEF},
  input_text, output_text, SpanAttributes, ResourceAttributes,
  arrayMap(t -> toString(toUnixTimestamp64Nano(t)), \`Events.Timestamp\`) AS ev_time, \`Events.Name\` AS ev_name,
  \`Events.Attributes\` AS ev_attrs, \`Links.TraceId\` AS link_trace, \`Links.SpanId\` AS link_span,
  \`Links.Attributes\` AS link_attrs`

/** Columns read as stored; ClickHouse's JSON may give an integer column as a string. */
type AsRead<T> = { [K in keyof T]: T[K] extends number ? number | string : T[K] }

type StoredColumn =
  | 'TraceId'
  | 'SpanId'
  | 'ParentSpanId'
  | 'SpanName'
  | 'SpanKind'
  | 'ServiceName'
  | 'ScopeName'
  | 'StatusCode'
  | 'StatusMessage'
  | 'tenant_id'
  | 'session_id'
  | 'user_id'
  | 'operation'
  | 'span_type'
  | 'convention'
  | 'provider'
  | 'request_model'
  | 'response_model'
  | 'route'
  | 'target'
  | 'routing_version'
  | 'attempt'
  | 'input_tokens'
  | 'output_tokens'
  | 'cache_read_tokens'
  | 'cache_write_tokens'
  | 'cost_source'
  | 'usage_source'
  | 'is_error'
  | 'billable'
  | 'finish_reason'

/** A row of SPAN_COLUMNS_BRIEF (and, with the payload, SPAN_COLUMNS_FULL). */
export interface SpanRowOut extends AsRead<Pick<SpanRow, StoredColumn>> {
  start_ns: string
  duration_ns: string
  cost: string
  ttft: string
  input_text?: string
  output_text?: string
  SpanAttributes?: Record<string, string>
  ResourceAttributes?: Record<string, string>
  ev_time?: string[]
  ev_name?: string[]
  ev_attrs?: Record<string, string>[]
  link_trace?: string[]
  link_span?: string[]
  link_attrs?: Record<string, string>[]
}

export interface TraceWindow {
  tenant_id: string
  start_ns: string
  end_ns: string
}

/** The time window of trace ids per tenant (from trace_index), so span reads touch only those partitions. */
export function traceWindows(store: Store, scope: TenantFilter, traceIds: string[]): Promise<TraceWindow[]> {
  return runQuery<TraceWindow>(
    store,
    'traces.windows',
    `SELECT tenant_id, toString(toUnixTimestamp64Nano(min(Start))) AS start_ns, toString(toUnixTimestamp64Nano(max(End))) AS end_ns
     FROM ${store.table('trace_index')} WHERE ${scope.where()} AND TraceId IN {ids:Array(String)} GROUP BY tenant_id`,
    { ...scope.params(), ids: traceIds },
  )
}

export interface SpanWindow {
  fromNs: bigint
  toNs: bigint
  max: number
}

/** Every span of one trace with its payload, by start time. */
export function traceSpans(
  store: Store,
  scope: TenantFilter,
  traceId: string,
  tenants: string[],
  w: SpanWindow,
): Promise<SpanRowOut[]> {
  return runQuery<SpanRowOut>(
    store,
    'traces.spans',
    `SELECT ${SPAN_COLUMNS_FULL} FROM ${store.table('spans')}
     WHERE ${scope.where()} AND tenant_id IN {tenants:Array(String)} AND TraceId = {id:String}
       AND Timestamp >= fromUnixTimestamp64Nano({from:Int64}) AND Timestamp <= fromUnixTimestamp64Nano({to:Int64})
     ORDER BY Timestamp LIMIT {max:UInt32}`,
    { ...scope.params(), tenants, id: traceId, from: w.fromNs.toString(), to: w.toNs.toString(), max: w.max },
  )
}

/** The spans of several traces without payload (a session's timeline), by start time. */
export function spansOfTraces(
  store: Store,
  scope: TenantFilter,
  traceIds: string[],
  w: SpanWindow,
): Promise<SpanRowOut[]> {
  return runQuery<SpanRowOut>(
    store,
    'sessions.spans',
    `SELECT ${SPAN_COLUMNS_BRIEF} FROM ${store.table('spans')}
     WHERE ${scope.where()} AND TraceId IN {ids:Array(String)}
       AND Timestamp >= fromUnixTimestamp64Nano({from:Int64}) AND Timestamp <= fromUnixTimestamp64Nano({to:Int64})
     ORDER BY Timestamp LIMIT {max:UInt32}`,
    { ...scope.params(), ids: traceIds, from: w.fromNs.toString(), to: w.toNs.toString(), max: w.max },
  )
}
