import { createOpenAI } from '@ai-sdk/openai'
import { generateText, jsonSchema, streamText, tool } from 'ai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KEY, startHarness, type Harness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

describe('Vercel ai + @ai-sdk/openai through the gateway', () => {
  const provider = () => createOpenAI({ baseURL: `${h.url}/v1`, apiKey: KEY })

  it('generateText', async () => {
    const r = await generateText({ model: provider().chat('chat'), prompt: 'Say hi', maxRetries: 0 })
    expect(r.text.split(' ')).toHaveLength(16)
    expect(r.usage.outputTokens).toBe(16)
    expect(r.finishReason).toBe('stop')
  })

  it('streamText', async () => {
    const r = streamText({ model: provider().chat('chat'), prompt: 'Say hi', maxRetries: 0 })
    const parts: string[] = []
    for await (const t of r.textStream) parts.push(t)
    expect(parts.length).toBeGreaterThan(5)
    expect((await r.usage).outputTokens).toBe(16)
  })

  it('tool calls', async () => {
    const r = await generateText({
      model: provider().chat('chat'),
      prompt: 'Weather in Paris?',
      maxRetries: 0,
      tools: {
        get_weather: tool({
          description: 'weather',
          inputSchema: jsonSchema<{ city: string }>({
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          }),
        }),
      },
    })
    expect(r.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: { city: 'example' } })
  })

  it('surfaces gateway errors', async () => {
    await expect(generateText({ model: provider().chat('no-such-route'), prompt: 'x', maxRetries: 0 })).rejects.toThrow(
      /unknown model/,
    )
  })
})
