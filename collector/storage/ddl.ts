import { tables, views, type TableSpec, type ViewSpec } from './tables.ts'

export interface DdlOptions {
  database: string
  /** When set, every statement is emitted ON CLUSTER with Replicated local tables and Distributed tables over them. */
  cluster?: string
  retentionDays: number
}

export const local = (name: string, o: DdlOptions) => (o.cluster ? `${name}_local` : name)
export const onCluster = (o: DdlOptions) => (o.cluster ? ` ON CLUSTER ${o.cluster}` : '')

function engine(spec: TableSpec, o: DdlOptions): string {
  if (!o.cluster) return `${spec.engine}(${spec.engineArgs ?? ''})`
  const path = `'/clickhouse/tables/{shard}/${o.database}/${spec.name}_local', '{replica}'`
  return `Replicated${spec.engine}(${path}${spec.engineArgs ? `, ${spec.engineArgs}` : ''})`
}

export function createTable(spec: TableSpec, o: DdlOptions): string[] {
  const body = [...spec.columns, ...(spec.indexes ?? [])].map((line) => `  ${line}`).join(',\n')
  const clauses = [
    `ENGINE = ${engine(spec, o)}`,
    spec.partitionBy ? `PARTITION BY ${spec.partitionBy}` : '',
    `ORDER BY ${spec.orderBy}`,
    spec.ttl ? `TTL ${spec.ttl.replace('{days}', String(o.retentionDays))}` : '',
    'SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1',
  ].filter(Boolean)
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${o.database}.${local(spec.name, o)}${onCluster(o)}\n(\n${body}\n)\n${clauses.join('\n')}`,
  ]
  if (o.cluster) {
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${o.database}.${spec.name}${onCluster(o)} AS ${o.database}.${spec.name}_local\n` +
        `ENGINE = Distributed(${o.cluster}, ${o.database}, ${spec.name}_local, ${spec.shardBy})`,
    )
  }
  return statements
}

const viewSelect = (spec: ViewSpec, o: DdlOptions) =>
  spec.select.replace('{from}', `${o.database}.${local(spec.from, o)}`)

/** In cluster mode a view reads each shard's local table and writes its local target. */
export function createView(spec: ViewSpec, o: DdlOptions): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${o.database}.${spec.name}${onCluster(o)}\nTO ${o.database}.${local(spec.to, o)}\nAS ${viewSelect(spec, o)}`
}

/**
 * Gives an existing view the spec's SELECT in place: one atomic ALTER (no window in which inserts
 * pass a dropped view, as DROP + CREATE would leave), and a re-run sets the same query again.
 */
export function modifyView(spec: ViewSpec, o: DdlOptions): string {
  return `ALTER TABLE ${o.database}.${spec.name}${onCluster(o)} MODIFY QUERY ${viewSelect(spec, o)}`
}

export function schemaStatements(o: DdlOptions): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${o.database}${onCluster(o)}`,
    ...tables.flatMap((t) => createTable(t, o)),
    ...views.map((v) => createView(v, o)),
  ]
}
