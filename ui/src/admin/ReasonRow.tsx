/** The reason kept in the audit trail, beside the form's submit button. */
export function ReasonRow({
  label,
  value,
  onChange,
  submit,
  pending,
}: {
  label: string
  value: string
  onChange: (value: string) => void
  submit: string
  pending: boolean
}) {
  return (
    <div className="form-row">
      <label className="grow">
        Reason
        <input
          aria-label={label}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          placeholder="why (kept in the audit trail)"
        />
      </label>
      <button type="submit" disabled={pending}>
        {submit}
      </button>
    </div>
  )
}
