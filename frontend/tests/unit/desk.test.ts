// The desk's side menu, Chinese dates and form drafts (the plan change summary is the server's:
// tests/tests/desk_api.rs).
import { describe, expect, it } from 'vitest'
import { effectScope, nextTick } from 'vue'
import { createMemoryHistory, createRouter, type RouteLocationRaw } from 'vue-router'
import { deskMenuFor } from '../../src/router/tabs'
import { routes } from '../../src/router'
import { daysBetween, fmtDate, fmtDays, fmtMonth } from '../../src/composables/format'
import { useDraft } from '../../src/composables/draft'

const all = { gate: true, inspections: true, hazards: true, visitors: true, dashboard: true, ledger: true, health: true, duty: true, plans: true, incidents: true, rosters: true, planTasks: true, patrol: true, platform: true, assessment: true, fire: true, todo: true }

describe('desk menu', () => {
  it('gives the office and the principal one distinct icon per item, and nobody else a menu', () => {
    for (const role of ['security_office', 'principal'] as const) {
      const m = deskMenuFor(role, all)
      expect(m.length).toBeGreaterThan(8)
      expect(new Set(m.map((x) => x.icon)).size).toBe(m.length)
    }
    expect(deskMenuFor('guard', all)).toEqual([])
    expect(deskMenuFor('class_teacher', all)).toEqual([])
  })
  it('only links pages that exist in the area', () => {
    const paths = new Set(routes.flatMap((r) => (r.children ?? []).map((c) => `${r.path}/${c.path}`)))
    for (const role of ['security_office', 'principal'] as const) for (const m of deskMenuFor(role, all)) expect(paths, m.to).toContain(m.to)
  })
})

describe('dates as people write them', () => {
  it('says month, day and weekday, with the year only when it is not this year', () => {
    const y = new Date().getFullYear()
    expect(fmtDate(`${y}-04-04`)).toMatch(/^4月4日 周[日一二三四五六]$/)
    expect(fmtDate('2027-04-04')).toBe(y === 2027 ? '4月4日 周日' : '2027年4月4日 周日')
    expect(fmtDays(`${y}-04-04`, `${y}-04-06`)).toBe('4月4日–6日')
    expect(fmtDays('2026-09-01', '2027-02-14')).toBe('2026年9月1日–2027年2月14日')
    expect(fmtDays(`${y}-03-30`, `${y}-04-02`)).toBe('3月30日–4月2日')
    expect(fmtMonth('2027-03')).toBe('2027年3月')
    expect(daysBetween('2027-02-27', '2027-03-01')).toEqual(['2027-02-27', '2027-02-28', '2027-03-01'])
  })
})

describe('form drafts', () => {
  it('keeps what was typed until saved', async () => {
    const scope = effectScope()
    const d = scope.run(() => useDraft('t1', () => ({ title: '' })))!
    d.value.value.title = '清明节值班表'
    await nextTick()
    const again = effectScope().run(() => useDraft('t1', () => ({ title: '' })))!
    expect(again.restored).toBe(true)
    expect(again.value.value.title).toBe('清明节值班表')
    again.clear()
    await nextTick()
    expect(sessionStorage.getItem('xa.draft.t1')).toBeNull()
    scope.stop()
  })
})

describe('to-do links', () => {
  // The routes backend/src/features/todo/store.rs builds, per role (categories from todo/http.rs).
  const built: Record<string, string[]> = {
    guard: ['health', 'visitors', 'hazards/h1', 'swaps', 'plan-tasks', 'announcements'],
    teacher: ['check', 'hazards/h1', 'swaps', 'plan-tasks', 'announcements'],
    officer: ['hazards/h1', 'announcements'],
    office: ['hazards/h1', 'health-reports', 'swaps', 'plan-tasks', 'announcements'],
    principal: ['plans/p1', 'hazards/h1', 'swaps', 'plan-tasks', 'announcements'],
  }
  it('open an existing page for every category', () => {
    const router = createRouter({ history: createMemoryHistory(), routes })
    for (const [area, paths] of Object.entries(built))
      for (const p of paths) {
        const r = router.resolve(`/${area}/${p}`)
        expect(r.name, `/${area}/${p}`).not.toBe('not-found')
        const redirect = r.matched.at(-1)?.redirect
        if (redirect) expect(router.resolve(redirect as RouteLocationRaw).name, `/${area}/${p} →`).not.toBe('not-found')
      }
  })
})
