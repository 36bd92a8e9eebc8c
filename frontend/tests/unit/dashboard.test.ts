import { describe, expect, it } from 'vitest'
import { dashboardCards, type Dashboard } from '../../src/views/office/dashboard'
import { auditActionKey, auditRecordLabel } from '../../src/views/office/audit'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import zh from '../../src/locales/zh-CN.json'
import en from '../../src/locales/en-US.json'

const d: Dashboard = {
  today: '2026-12-01',
  incidents: { days_since_last_incident: 12, last_incident_at: null, open_incidents: 1 },
  plan: { overdue_items: 3, overdue: [] },
  on_duty_now: [],
  health: { reports_today: 2, abnormal_unacknowledged: 1 },
  hazards: { open: 4, overdue: 2 },
  traffic_checks: { period: '2026-W49', classes: 5, submitted: 3, late: 0, missing: 2 },
  gate: { students_out: 6, students_overdue: 1 },
  visitors: { on_campus: 2 },
}

describe('dashboard cards', () => {
  it('shows the API figures (students out/overdue, missing traffic checks) and opens their lists', () => {
    const cards = Object.fromEntries(dashboardCards(d, 'security_office').map((c) => [c.key, c]))
    expect(cards.studentsOut).toMatchObject({ value: 6, to: '/office/figures/students-out' })
    expect(cards.studentsOverdue).toMatchObject({ value: 1, to: '/office/figures/students-overdue' })
    expect(cards.trafficMissing).toMatchObject({ value: 2, to: '/office/compliance' })
    expect(cards.visitorsOnCampus).toMatchObject({ value: 2, to: '/office/figures/visitors-on-campus' })
    expect(cards.openHazards).toMatchObject({ value: 4, to: '/office/hazards?status=open' })
    expect(cards.healthAbnormal).toMatchObject({ value: 1, to: '/office/health-reports' })
    for (const c of Object.values(cards)) expect(c.to, c.key).toBeTruthy()
  })
  it("the principal's cards stay in the principal's area; health reports are the office's", () => {
    const cards = dashboardCards(d, 'principal')
    for (const c of cards) if (c.to) expect(c.to.startsWith('/principal/'), c.key).toBe(true)
    expect(cards.find((c) => c.key === 'healthAbnormal')?.to).toBeUndefined()
  })
  it('every card has a label in both languages', () => {
    for (const c of dashboardCards(d, 'security_office')) {
      expect((zh.dashboard as Record<string, unknown>)[c.key], c.key).toBeTypeOf('string')
      expect((en.dashboard as Record<string, unknown>)[c.key], c.key).toBeTypeOf('string')
    }
  })
})

// Every action code the server writes to the audit trail (string literals `entity.verb` in
// backend/src), plus those composed at run time (`hazard.{action}`, `swap.{action}`).
const COMPOSED = ['hazard.assign', 'hazard.reassign', 'hazard.close', 'hazard.send_back', 'swap.accept', 'swap.decline', 'swap.cancel', 'swap.approve', 'swap.reject', 'hazard.class_confirm', 'hazard.class_reject']
// File names and OpenAPI link expressions look like codes too.
const NOT_ACTIONS = /\.(html|js|key|new|db|webmanifest|json|css|svg|png|toml|txt|md|xml|xlsx|ics|rs)$|^path\./
function rustFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? rustFiles(p) : f.endsWith('.rs') ? [p] : []
  })
}
function actionCodes(): string[] {
  const root = join(process.cwd(), '../backend/src')
  const codes = new Set(COMPOSED)
  // The event catalogue's kinds (`pass.overdue`) and the channels' texts for them are event
  // types and payload paths, not audit actions.
  const eventCatalogue = /[\\/](schema[\\/]events\.rs|features[\\/]events[\\/]|features[\\/]channels[\\/]messages\.rs)/
  // The channels feature names event types (`pass.overdue`) in its examples and filters.
  const channels = /[\\/]features[\\/]channels[\\/]/
  const eventTypes = new Set(Object.keys((JSON.parse(readFileSync(join(process.cwd(), '../openapi/openapi.json'), 'utf8')) as { webhooks?: object }).webhooks ?? {}))
  for (const f of rustFiles(root).filter((f) => !eventCatalogue.test(f))) {
    // `stored("table.column", …)` and `stored_json(…)` name a stored column in a corrupt-data log
    // line, not an action.
    for (const m of readFileSync(f, 'utf8').matchAll(/(stored(?:_json)?\(\s*)?"([a-z][a-z_]*\.[a-z][a-z_]*)"/g)) if (!m[1] && !NOT_ACTIONS.test(m[2]) && !(channels.test(f) && eventTypes.has(m[2]))) codes.add(m[2])
  }
  return [...codes].sort()
}
function lookup(messages: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), messages)
}

describe('audit log in words', () => {
  it('every action code the server records has a Chinese and an English name', () => {
    const codes = actionCodes()
    expect(codes.length).toBeGreaterThan(50)
    const missing = codes.filter((c) => typeof lookup(zh, auditActionKey(c)) !== 'string' || typeof lookup(en, auditActionKey(c)) !== 'string')
    expect(missing).toEqual([])
  })
  it('names the record from what was recorded', () => {
    expect(auditRecordLabel({ name: '2019级旅游服务与管理1班' })).toBe('2019级旅游服务与管理1班')
    expect(auditRecordLabel({ before: { title: '旧' }, after: { title: '新' } })).toBe('新')
    expect(auditRecordLabel({ description: 'x'.repeat(50) })).toBe(`${'x'.repeat(40)}…`)
    expect(auditRecordLabel(null)).toBe('')
    // Periods and dates in words, never the code.
    expect(auditRecordLabel({ period: '2026-W49' })).toBe('第49周 11月30日–12月6日')
    expect(auditRecordLabel({ after: { date: '2020-05-01' } })).toBe('2020年5月1日')
  })
})
