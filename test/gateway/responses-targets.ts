import type { Simulator } from '../../gateway/simulator/index.ts'

/** The three kinds of target a Responses request meets: one that speaks it, a chat-completions one, an Anthropic one. */
export const responsesProviders = (sim: Simulator) => ({
  sim: { protocol: 'openai', baseUrl: sim.openaiBaseUrl, apiKeyEnv: 'SIM_KEY' },
  simresp: { protocol: 'openai', baseUrl: sim.openaiBaseUrl, apiKeyEnv: 'SIM_KEY', responses: true },
  simant: { protocol: 'anthropic', baseUrl: sim.anthropicBaseUrl, apiKeyEnv: 'SIM_KEY' },
})

const PRICE = { input: '1', output: '2' }

/** A route per kind of target: passed through, translated to chat completions, translated to Anthropic. */
export const RESPONSES_ROUTES = [
  { name: 'resp-pass', targets: [{ provider: 'simresp', model: 'sim-resp', price: PRICE }] },
  { name: 'resp-chat', targets: [{ provider: 'sim', model: 'sim-small', price: PRICE }] },
  { name: 'resp-claude', targets: [{ provider: 'simant', model: 'sim-claude', price: PRICE }] },
]
