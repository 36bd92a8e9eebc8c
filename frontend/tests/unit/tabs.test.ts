import { describe, expect, it } from 'vitest'
import { homeFor, tabsFor } from '../../src/router/tabs'

const all = { gate: true, inspections: true, hazards: true, visitors: true, dashboard: true, ledger: true, health: true, duty: true, plans: true, incidents: true, rosters: true, planTasks: true, patrol: true, platform: true, assessment: true, fire: true, todo: true }
const none = { gate: false, inspections: false, hazards: false, visitors: false, dashboard: false, ledger: false, health: false, duty: false, plans: false, incidents: false, rosters: false, planTasks: false, patrol: false, platform: false, assessment: false, fire: false, todo: false }

describe('role tabs', () => {
  it('lands each role on its own home when every API exists', () => {
    expect(homeFor('guard', all)).toBe('/guard/scan')
    expect(homeFor('class_teacher', all)).toBe('/teacher/passes')
    expect(homeFor('safety_officer', all)).toBe('/officer/report')
    expect(homeFor('security_office', all)).toBe('/office/desk')
    expect(homeFor('principal', all)).toBe('/principal/desk')
  })
  it('leaves out pages whose API is missing', () => {
    expect(tabsFor('guard', none).map((t) => t.to)).toEqual(['/guard/me'])
    expect(tabsFor('guard', { ...none, incidents: true }).map((t) => t.to)).toEqual(['/guard/incident', '/guard/me'])
    expect(tabsFor('class_teacher', { ...none, gate: true }).map((t) => t.to)).toEqual(['/teacher/passes', '/teacher/me'])
  })
})
