import type { Weights } from './weights.ts'

/** The part of the gateway's routing table the optimizer reads: each route's targets and weights. */
export interface RoutingTableView {
  version: string
  routes: Record<string, Weights>
}

export interface PushResult {
  version: string
}

/** Reads the live table and pushes new weights as a new table version. */
export interface RoutingTablePusher {
  read(): Promise<RoutingTableView>
  /** Replaces the weights of the given routes; fails when the table moved past `expectedVersion`. */
  push(weights: Record<string, Weights>, meta: { expectedVersion: string; reason: string }): Promise<PushResult>
}

export class PushConflictError extends Error {}

/** The replay's gateway: a table in memory, versioned like the real one. */
export class MemoryRoutingTable implements RoutingTablePusher {
  private version = 1
  readonly history: { version: number; routes: Record<string, Weights> }[] = []

  constructor(private routes: Record<string, Weights>) {}

  async read(): Promise<RoutingTableView> {
    return this.snapshot()
  }

  snapshot(): RoutingTableView {
    return { version: String(this.version), routes: this.routes }
  }

  async push(weights: Record<string, Weights>, meta: { expectedVersion: string }): Promise<PushResult> {
    if (meta.expectedVersion !== String(this.version))
      throw new PushConflictError(`expected version ${meta.expectedVersion}, table is at ${this.version}`)
    this.routes = { ...this.routes, ...weights }
    this.version += 1
    return { version: String(this.version) }
  }
}
