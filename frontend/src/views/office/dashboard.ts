// Which dashboard figures a role sees and the list each one opens. Pure (unit-tested): the
// figure and the list must be the same rule, and a card never links to a list the role may
// not load.
import type { components } from '../../api/schema'
import type { Role } from '../../stores/auth'

export type Dashboard = components['schemas']['DashboardResponse']

export interface Card {
  key: string
  value: number | string
  tone?: 'good' | 'warn'
  /** The list behind the number (a route in the role's area). */
  to?: string
}

export function dashboardCards(d: Dashboard, role: Role): Card[] {
  const base = role === 'principal' ? '/principal' : '/office'
  const office = role === 'security_office'
  const warn = (v: number) => (v > 0 ? ('warn' as const) : undefined)
  const list: Card[] = [
    { key: 'daysSafe', value: d.incidents.days_since_last_incident ?? '—', tone: 'good', to: `${base}/incidents?tab=all` },
    { key: 'openIncidents', value: d.incidents.open_incidents, tone: warn(d.incidents.open_incidents), to: `${base}/incidents?tab=open` },
    { key: 'openHazards', value: d.hazards.open, tone: warn(d.hazards.open), to: `${base}/hazards?status=open` },
    { key: 'overdueHazards', value: d.hazards.overdue, tone: warn(d.hazards.overdue), to: `${base}/hazards?status=overdue` },
    { key: 'studentsOut', value: d.gate.students_out, to: `${base}/figures/students-out` },
    { key: 'studentsOverdue', value: d.gate.students_overdue, tone: warn(d.gate.students_overdue), to: `${base}/figures/students-overdue` },
    { key: 'visitorsOnCampus', value: d.visitors.on_campus, to: `${base}/figures/visitors-on-campus` },
  ]
  if (d.traffic_checks) {
    list.push({ key: 'trafficMissing', value: d.traffic_checks.missing, tone: warn(d.traffic_checks.missing), to: `${base}/compliance` })
  }
  list.push({ key: 'overduePlanItems', value: d.plan.overdue_items, tone: warn(d.plan.overdue_items), to: `${base}/plans` })
  // Only the office may read the guards' health reports (GET /health-reports).
  list.push({ key: 'healthAbnormal', value: d.health.abnormal_unacknowledged, tone: warn(d.health.abnormal_unacknowledged), to: office ? '/office/health-reports' : undefined })
  return list
}
