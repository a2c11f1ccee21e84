/** Simulated OpenAI- and Anthropic-protocol providers for tests, the demo and benchmarks. Nothing leaves the machine. */
export { startSimulator, type Simulator, type SimulatorOptions, type RecordedRequest } from './server.ts'
export { defaultProfile, type ModelProfile, type ScriptedOutcome } from './profiles.ts'
