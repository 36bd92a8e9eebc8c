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

/** Monday of ISO week `week` of ISO year `year`, as a UTC date. */
function isoWeekMonday(year: number, week: number): Date {
  // 4 January is always in week 1.
  const jan4 = new Date(Date.UTC(year, 0, 4))
  const monday1 = new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86400_000)
  return new Date(monday1.getTime() + (week - 1) * 7 * 86400_000)
}

function monthDay(d: Date, locale: string): string {
  return locale.startsWith('zh')
    ? `${d.getUTCMonth() + 1}月${d.getUTCDate()}日`
    : d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' })
}

/**
 * A check period as people say it, never the code: `2026-W49` → `第49周 11月30日–12月6日`
 * (Monday to Sunday), `2026-12` → `2026年12月`, `2026-12-01` → `12月1日`. Anything else is
 * returned unchanged (an unknown shape is better shown than hidden).
 */
export function fmtPeriod(period: string | null | undefined, locale = 'zh-CN'): string {
  if (!period) return ''
  const zh = locale.startsWith('zh')
  const w = /^(\d{4})-W(\d{2})$/.exec(period)
  if (w) {
    const week = Number(w[2])
    const mon = isoWeekMonday(Number(w[1]), week)
    const sun = new Date(mon.getTime() + 6 * 86400_000)
    return zh
      ? `第${week}周 ${monthDay(mon, locale)}–${monthDay(sun, locale)}`
      : `Week ${week}, ${monthDay(mon, locale)}–${monthDay(sun, locale)}`
  }
  const m = /^(\d{4})-(\d{2})$/.exec(period)
  if (m) {
    return zh
      ? `${m[1]}年${Number(m[2])}月`
      : new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)).toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' })
  }
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(period)
  if (d) return monthDay(new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]))), locale)
  return period
}

/** A calendar date `YYYY-MM-DD` as people write it: `12月1日` (this year) or `2027年1月4日`. */
export function fmtDay(day: string | null | undefined, locale = 'zh-CN', now = new Date()): string {
  if (!day) return ''
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  if (!d) return day
  const date = new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])))
  const sameYear = Number(d[1]) === now.getFullYear()
  if (locale.startsWith('zh')) return `${sameYear ? '' : `${d[1]}年`}${monthDay(date, locale)}`
  return date.toLocaleDateString('en-US', { month: 'short', day: 'numeric', ...(sameYear ? {} : { year: 'numeric' }), timeZone: 'UTC' })
}

const WEEKDAY = ['日', '一', '二', '三', '四', '五', '六']
/** `2027-04-04` as people write it: `4月4日 周日` (with the year when it is not this year). */
export function fmtDate(day?: string | null, withWeekday = true): string {
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
  if (from === to || !to) return fmtDate(from, false)
  const [fy, fm] = from.split('-')
  const [ty, tm, td] = to.split('-')
  if (fy !== ty) return `${fy}年${fmtDate(from, false).replace(/^\d+年/, '')}–${ty}年${fmtDate(to, false).replace(/^\d+年/, '')}`
  return `${fmtDate(from, false)}–${fm === tm ? '' : `${Number(tm)}月`}${Number(td)}日`
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
  return `${fmtDate(localDay(d), false)} ${p(d.getHours())}:${p(d.getMinutes())}`
}
