import type { RoutingDecisionInput } from '../collector/client.ts'
import type { CollectorClient } from '../collector/client.ts'

/** Where decisions go: the collector's routing-decisions API live, memory in a replay. */
export interface DecisionRecorder {
  record(decisions: RoutingDecisionInput[]): Promise<void>
}

export class CollectorDecisionRecorder implements DecisionRecorder {
  constructor(private readonly client: CollectorClient) {}

  async record(decisions: RoutingDecisionInput[]): Promise<void> {
    for (const d of decisions) await this.client.postDecision(d)
  }
}

export class MemoryDecisionRecorder implements DecisionRecorder {
  readonly decisions: RoutingDecisionInput[] = []

  async record(decisions: RoutingDecisionInput[]): Promise<void> {
    this.decisions.push(...decisions)
  }
}
