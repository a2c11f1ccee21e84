/** A labelled select bound to one URL search param. */
import { useSearchParams } from '../app/url-state.ts'

export function ParamSelect<T extends string>({
  param,
  label,
  options,
  fallback,
}: {
  param: string
  label: string
  options: readonly T[]
  fallback: T
}) {
  const [params, update] = useSearchParams()
  const value = (options as readonly string[]).includes(params.get(param) ?? '') ? (params.get(param) as T) : fallback
  return (
    <label className="param-select">
      {label}{' '}
      <select aria-label={label} value={value} onChange={(e) => update({ [param]: e.target.value })}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  )
}

export function paramChoice<T extends string>(
  params: URLSearchParams,
  param: string,
  options: readonly T[],
  fallback: T,
): T {
  const v = params.get(param)
  return (options as readonly string[]).includes(v ?? '') ? (v as T) : fallback
}
