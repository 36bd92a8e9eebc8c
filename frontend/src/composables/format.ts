// Dates shown in the user's locale; the API speaks UTC RFC 3339.
export function fmtTime(iso?: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}
export function fmtDateTime(iso?: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${d.toLocaleDateString([], { month: '2-digit', day: '2-digit' })} ${fmtTime(iso)}`
}
/** A local calendar date `YYYY-MM-DD`. */
export function localDay(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

const WEEKDAY = ['日', '一', '二', '三', '四', '五', '六']
/** `2027-04-04` as people write it: `4月4日 周日` (with the year when it is not this year). */
export function fmtDay(day?: string | null, withWeekday = true): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? '')
  if (!m) return day ?? ''
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const wd = new Date(Date.UTC(y, mo - 1, d)).getUTCDay()
  const year = y === new Date().getFullYear() ? '' : `${y}年`
  return `${year}${mo}月${d}日${withWeekday ? ` 周${WEEKDAY[wd]}` : ''}`
}
/** A date range: `4月4日–6日` style, the year said once (only when it is not this year). */
export function fmtDays(from?: string | null, to?: string | null): string {
  if (!from) return ''
  if (from === to || !to) return fmtDay(from, false)
  const [fy, fm] = from.split('-')
  const [ty, tm, td] = to.split('-')
  if (fy !== ty) return `${fy}年${fmtDay(from, false).replace(/^\d+年/, '')}–${ty}年${fmtDay(to, false).replace(/^\d+年/, '')}`
  return `${fmtDay(from, false)}–${fm === tm ? '' : `${Number(tm)}月`}${Number(td)}日`
}
/** `2027-04` → `2027年4月`. */
export function fmtMonth(month?: string | null): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month ?? '')
  return m ? `${m[1]}年${Number(m[2])}月` : (month ?? '')
}
/** Days from `from` to `to` inclusive, as `YYYY-MM-DD` (calendar arithmetic, no time zone). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = []
  const end = Date.parse(`${to}T00:00:00Z`)
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end && out.length < 400; t += 86400000) out.push(new Date(t).toISOString().slice(0, 10))
  return out
}
/** An instant as people write it, in the phone's time: `12月2日 09:30` (with the year when not this year). */
export function fmtWhen(iso?: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const p = (n: number) => String(n).padStart(2, '0')
  return `${fmtDay(localDay(d), false)} ${p(d.getHours())}:${p(d.getMinutes())}`
}
