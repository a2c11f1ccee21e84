import type { ReactNode } from 'react'
import type { Score, Span } from '../api/client.ts'
import { ScoreList } from '../components/ScoreList.tsx'
import { formatCount, formatMs, formatNsDate, formatUsd } from '../lib/format.ts'
import { Messages } from './Messages.tsx'
import { spanKindLabel } from './span-kind.ts'

function Field({ label, value }: { label: string; value: string | number }) {
  if (value === '' || value === undefined) return null
  return (
    <>
      <dt>{label}</dt>
      <dd data-field={label}>{value}</dd>
    </>
  )
}

/** The selected span: timing, model, tokens, cost, errors, LLM input/output, scores, attributes, events. */
export function SpanDetail({ span, scores, children }: { span: Span; scores: Score[]; children?: ReactNode }) {
  const exceptions = span.events.filter((e) => e.name === 'exception')
  return (
    <aside className="span-detail" aria-label="Selected span">
      <h2>
        <span className="kind-tag">{spanKindLabel(span)}</span> {span.name}
      </h2>
      {span.is_error ? (
        <div className="state state-error" role="alert">
          Error{span.status_message ? `: ${span.status_message}` : ''}
          {exceptions.map((e, i) => (
            <pre key={i}>
              {[e.attributes['exception.type'], e.attributes['exception.message'], e.attributes['exception.stacktrace']]
                .filter(Boolean)
                .join('\n')}
            </pre>
          ))}
        </div>
      ) : null}
      <dl className="fields">
        <Field label="Span id" value={span.span_id} />
        <Field label="Start (UTC)" value={formatNsDate(span.start_ns)} />
        <Field label="Duration" value={formatMs(span.duration_ms)} />
        <Field label="Service" value={span.service_name} />
        <Field label="Operation" value={span.operation} />
        <Field label="Provider" value={span.provider} />
        <Field label="Model" value={span.response_model || span.request_model} />
        <Field label="Route" value={span.route} />
        <Field label="Target" value={span.target} />
        <Field label="Routing version" value={span.routing_version} />
        {span.billable || span.input_tokens + span.output_tokens > 0 ? (
          <>
            <Field label="Tokens in" value={withEstimate(formatCount(span.input_tokens), span.usage_source)} />
            <Field label="Tokens out" value={withEstimate(formatCount(span.output_tokens), span.usage_source)} />
            <Field
              label="Cache read / write"
              value={`${formatCount(span.cache_read_tokens)} / ${formatCount(span.cache_write_tokens)}`}
            />
            <Field label="Cost" value={`${formatUsd(span.cost_usd)} (${span.cost_source})`} />
          </>
        ) : null}
        <Field label="TTFT" value={span.ttft_ms === null ? '' : formatMs(span.ttft_ms)} />
        <Field label="Finish reason" value={span.finish_reason} />
      </dl>
      <Messages title="Input" text={span.input_text} />
      <Messages title="Output" text={span.output_text} />
      <h3>Scores</h3>
      <ScoreList scores={scores} />
      {children}
      <h3>Attributes</h3>
      <table className="data compact attributes" data-testid="attributes">
        <tbody>
          {Object.entries(span.attributes)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td>{v}</td>
              </tr>
            ))}
        </tbody>
      </table>
      {span.events.length > 0 ? (
        <>
          <h3>Events</h3>
          <ul className="events">
            {span.events.map((e, i) => (
              <li key={i}>
                {formatNsDate(e.time_ns)} <strong>{e.name}</strong>{' '}
                {Object.entries(e.attributes)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' ')}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </aside>
  )
}

/** Counted from the captured text because the producer reported no usage: say so beside the number. */
function withEstimate(value: string, usageSource: string): string {
  return usageSource === 'estimated' ? `${value} (estimated)` : value
}
