import { describe, expect, it } from 'vitest'
import { bucketSeconds, toClusters } from '../../collector/api/failure-clusters.ts'
import { REASON_TEMPLATE_RULES, reasonTemplate } from '../../lib/reason-template.ts'
import { REASON_TEMPLATE_CASES } from './fixtures/reason-templates.ts'

describe('reasonTemplate', () => {
  it.each(REASON_TEMPLATE_CASES)('%s → %s', (reason, template) => {
    expect(reasonTemplate(reason)).toBe(template)
  })

  it('gives the issue’s per-case reasons one template', () => {
    const reasons = ['numeric: 61 vs expected 60', 'numeric: 7 vs expected 9', 'numeric: 0.25 vs expected 0.5']
    expect(new Set(reasons.map(reasonTemplate)).size).toBe(1)
  })

  it('uses only regex syntax ClickHouse (RE2) shares: no lookaround, no backreferences', () => {
    for (const rule of REASON_TEMPLATE_RULES) expect(rule.pattern).not.toMatch(/\(\?<?[=!]|\\[1-9]/)
  })
})

describe('toClusters', () => {
  it('places trend counts in the range’s buckets and gives examples their times', () => {
    const [cluster] = toClusters(
      [
        {
          name: 'reference',
          template: 'numeric: <n> vs expected <n>',
          n: '5',
          n_failed: 0,
          reasons: 2,
          last_ns: '500',
          trend: [
            [0, 60, 600],
            [2, '3', 9],
          ],
          examples: [['-500', 't2', 's2', '', 'chat', 'a', 0, 'numeric: 7 vs expected 9']],
        },
      ],
      0,
      60,
      3,
    )
    expect(cluster).toMatchObject({ count: 5, reasons: 2, trend: [2, 3, 0] })
    expect(cluster!.examples).toEqual([
      {
        created_ns: '500',
        trace_id: 't2',
        span_id: 's2',
        session_id: '',
        route: 'chat',
        target: 'a',
        value: 0,
        reason: 'numeric: 7 vs expected 9',
      },
    ])
    const [empty] = toClusters(
      [{ name: 'judge', template: '', n: 1, n_failed: 1, reasons: 1, last_ns: '1', trend: [[], []], examples: [] }],
      0,
      60,
      1,
    )
    expect(empty!.template).toBe('the scorer failed (no reason given)')
  })

  it('picks a round bucket from the range', () => {
    expect(bucketSeconds(24n * 3_600_000_000_000n, 24)).toBe(3600)
    expect(bucketSeconds(7n * 86_400_000_000_000n, 24)).toBe(12 * 3600)
    expect(bucketSeconds(3_600_000_000_000n, 24)).toBe(300)
  })
})
