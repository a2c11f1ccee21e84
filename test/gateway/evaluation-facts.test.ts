import { describe, expect, it } from 'vitest'
import { evaluationFacts } from '../../gateway/telemetry/evaluation-facts.ts'

describe('evaluation facts recorded on the request span', () => {
  it('takes the known answer from the body metadata, else from the x-loopgate-task header', () => {
    expect(
      evaluationFacts({ metadata: { expected_answer: '42', match: 'numeric', tolerance: 0.5 } }, undefined, 'on'),
    ).toEqual({
      'loopgate.capture': 'on',
      'loopgate.expected_answer': '42',
      'loopgate.expected_answer.match': 'numeric',
      'loopgate.expected_answer.tolerance': '0.5',
    })
    expect(evaluationFacts({}, '{"expected_answer":"Paris","match":"contains"}', 'off')).toEqual({
      'loopgate.capture': 'off',
      'loopgate.expected_answer': 'Paris',
      'loopgate.expected_answer.match': 'contains',
    })
    expect(
      evaluationFacts({ metadata: { expected_answer: 'body' } }, '{"expected_answer":"header"}', 'on')[
        'loopgate.expected_answer'
      ],
    ).toBe('body')
  })

  it('records the requested response_format as JSON', () => {
    expect(evaluationFacts({ response_format: { type: 'json_object' } }, undefined, 'on')).toEqual({
      'loopgate.capture': 'on',
      'loopgate.response_format': '{"type":"json_object"}',
    })
  })

  it('ignores a malformed task header and non-string answers', () => {
    expect(evaluationFacts({ metadata: ['x'] }, '{not json', 'on')).toEqual({ 'loopgate.capture': 'on' })
    expect(evaluationFacts({ metadata: { expected_answer: 42 } }, undefined, 'on')).toEqual({
      'loopgate.capture': 'on',
    })
  })
})
