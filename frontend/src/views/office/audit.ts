// How an audit entry is put into words (pure, unit-tested).
import { fmtDay, fmtPeriod } from '../../composables/format'

/** The i18n key of an action code: `hazard.report` → `auditLog.action.hazard.report`. */
export function auditActionKey(action: string): string {
  return `auditLog.action.${action}`
}

// Fields that name a record, in order of preference; looked for at the top of `changes`, then
// in its `after` / `before` (updates record both).
const NAME_FIELDS = ['title', 'name', 'display_name', 'username', 'location', 'place', 'description', 'period', 'semester', 'date']

/**
 * A short human label of the record an entry touched, taken from what it recorded; '' if none.
 * A period or a date reads as people write it (`2026-W49` → 第49周 …), never as the code.
 */
export function auditRecordLabel(changes: unknown, locale = 'zh-CN'): string {
  const scopes: unknown[] = [changes]
  if (changes && typeof changes === 'object') {
    const c = changes as Record<string, unknown>
    scopes.push(c.after, c.before)
  }
  for (const s of scopes) {
    if (!s || typeof s !== 'object') continue
    const o = s as Record<string, unknown>
    for (const f of NAME_FIELDS) {
      const v = o[f]
      if (typeof v !== 'string' || !v.trim()) continue
      if (f === 'period') return fmtPeriod(v, locale)
      if (f === 'date') return fmtDay(v, locale)
      return v.length > 40 ? `${v.slice(0, 40)}…` : v
    }
  }
  return ''
}
