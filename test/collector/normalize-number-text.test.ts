// The normalizer reads a provided cost and a TTFT in milliseconds without BigInt when they are plain
// decimals; these cases hold that path to the exact BigInt arithmetic (lib/money.ts) for every shape.
import { describe, expect, it } from 'vitest'
import { COST_USD, TTFT_MS } from '../../lib/attributes.ts'
import { USD_SCALE, formatScaled, parseScaled } from '../../lib/money.ts'
import { Normalizer } from '../../collector/normalize/index.ts'
import type { Span } from '../../collector/otlp/model.ts'

let n = 0
function llmSpan(attrs: Record<string, string>): Span {
  return {
    traceId: 'cd'.repeat(16),
    spanId: (++n).toString(16).padStart(16, '0'),
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: 'chat',
    kind: 3,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000001000000000',
    events: [],
    links: [],
    status: { code: 0, message: '' },
    attributes: Object.entries({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      ...attrs,
    }).map(([key, v]) => ({ key, value: { stringValue: v } })),
  }
}

function rowsOf(spans: Span[]) {
  return new Normalizer().normalize(
    {
      resourceSpans: [
        {
          resource: { attributes: [] },
          schemaUrl: '',
          scopeSpans: [{ scope: { name: '', version: '', attributes: [] }, schemaUrl: '', spans }],
        },
      ],
    },
    { tenantId: 'default', trustTenantAttribute: true },
  ).rows
}

const shapes = [
  '0',
  '0.0',
  '000',
  '0.000240000000',
  '0.00024',
  '1',
  '12.5',
  '999999.999999999999',
  '999999.9999999999995',
  '1000000',
  '0000001',
  '0.1234567890123',
  '0.0000000000001',
  '1e-3',
  '2.5E2',
  ' 3.5 ',
  '+1.25',
  '.5',
  '5.',
  '-1',
  'abc',
  '',
  '123456789',
  '1234567890',
  '12.3456789',
]

describe('plain-decimal fast paths of the normalizer', () => {
  it('stores a provided cost exactly as the BigInt arithmetic would, for every shape of decimal', () => {
    const rows = rowsOf(shapes.map((v) => llmSpan({ [COST_USD]: v })))
    rows.forEach((row, i) => {
      const units = parseScaled(shapes[i]!, USD_SCALE)
      const believable = units !== null && units < 10n ** 18n && shapes[i] !== ''
      expect([shapes[i], row.cost_usd, row.cost_source]).toEqual([
        shapes[i],
        believable ? formatScaled(units, USD_SCALE) : '0',
        believable ? 'provided' : 'none',
      ])
    })
  })

  it('stores a TTFT given in milliseconds as the exact nanoseconds, for every shape of decimal', () => {
    const rows = rowsOf(shapes.map((v) => llmSpan({ [TTFT_MS]: v })))
    rows.forEach((row, i) => {
      const ns = parseScaled(shapes[i]!, 6)
      const storable = ns !== null && ns <= 2n ** 63n - 1n && shapes[i] !== ''
      expect([shapes[i], row.ttft_ns]).toEqual([shapes[i], storable ? String(ns) : '0'])
    })
  })
})
