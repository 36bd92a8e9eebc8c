// The tab bar of each role. A tab whose API is not on the server (features) is left out.
import { features, type Features } from '../features'
import type { Role } from '../stores/auth'

export interface Tab {
  to: string
  icon: string
  labelKey: string
  needs?: keyof Features
  /** Carries the to-do badge: the page with the to-do card. */
  todo?: boolean
}

const TABS: Record<Role, Tab[]> = {
  guard: [
    { to: '/guard/scan', icon: 'scan', labelKey: 'nav.scan', needs: 'gate' },
    { to: '/guard/patrol', icon: 'guide-o', labelKey: 'nav.patrol', needs: 'patrol' },
    { to: '/guard/visitors', icon: 'friends-o', labelKey: 'nav.visitors', needs: 'visitors' },
    { to: '/guard/vehicles', icon: 'logistics', labelKey: 'nav.vehicles', needs: 'vehicles' },
    { to: '/guard/report', icon: 'warning-o', labelKey: 'nav.report', needs: 'hazards' },
    { to: '/guard/incident', icon: 'fire-o', labelKey: 'nav.incident', needs: 'incidents' },
    { to: '/guard/me', icon: 'user-o', labelKey: 'nav.me', todo: true },
  ],
  class_teacher: [
    { to: '/teacher/passes', icon: 'notes-o', labelKey: 'nav.passes', needs: 'gate' },
    { to: '/teacher/check', icon: 'passed', labelKey: 'nav.check', needs: 'inspections' },
    { to: '/teacher/report', icon: 'warning-o', labelKey: 'nav.report', needs: 'hazards' },
    { to: '/teacher/me', icon: 'user-o', labelKey: 'nav.me', todo: true },
  ],
  safety_officer: [
    { to: '/officer/report', icon: 'warning-o', labelKey: 'nav.report', needs: 'hazards' },
    { to: '/officer/mine', icon: 'records-o', labelKey: 'nav.myReports', needs: 'hazards' },
    { to: '/officer/me', icon: 'user-o', labelKey: 'nav.me', todo: true },
  ],
  security_office: [
    { to: '/office/desk', icon: 'home-o', labelKey: 'nav.desk', todo: true },
    { to: '/office/hazards', icon: 'warning-o', labelKey: 'nav.hazards', needs: 'hazards' },
    { to: '/office/people', icon: 'friends-o', labelKey: 'nav.people' },
    { to: '/office/me', icon: 'user-o', labelKey: 'nav.me' },
  ],
  principal: [
    { to: '/principal/desk', icon: 'home-o', labelKey: 'nav.desk', todo: true },
    { to: '/principal/plans', icon: 'notes-o', labelKey: 'plans.title', needs: 'plans' },
    { to: '/principal/hazards', icon: 'warning-o', labelKey: 'nav.hazards', needs: 'hazards' },
    { to: '/principal/me', icon: 'user-o', labelKey: 'nav.me' },
  ],
}

export function tabsFor(role: Role, have: Features = features): Tab[] {
  return TABS[role].filter((t) => !t.needs || have[t.needs])
}

/** A role's home: its first tab. */
export function homeFor(role: Role, have: Features = features): string {
  return tabsFor(role, have)[0].to
}

// The office's and the principal's side menu on a laptop (≥ 1024 px): every desk page, each
// with its own icon. Phones keep the tab bar above.
const DESK: Partial<Record<Role, Tab[]>> = {
  security_office: [
    { to: '/office/desk', icon: 'home-o', labelKey: 'nav.desk', todo: true },
    { to: '/office/hazards', icon: 'warning-o', labelKey: 'nav.hazards', needs: 'hazards' },
    { to: '/office/announcements', icon: 'volume-o', labelKey: 'announce.title' },
    { to: '/office/duty', icon: 'calendar-o', labelKey: 'rosters.title', needs: 'rosters' },
    { to: '/office/plans', icon: 'notes-o', labelKey: 'plans.title', needs: 'plans' },
    { to: '/office/people', icon: 'friends-o', labelKey: 'nav.people' },
    { to: '/office/visitors', icon: 'contact', labelKey: 'nav.visitors', needs: 'visitors' },
    { to: '/office/vehicles', icon: 'logistics', labelKey: 'nav.vehicles', needs: 'vehicles' },
    { to: '/office/articles', icon: 'newspaper-o', labelKey: 'articles.pageTitle', needs: 'articles' },
    { to: '/office/activities', icon: 'cluster-o', labelKey: 'records.activities' },
    { to: '/office/headcount', icon: 'bullhorn-o', labelKey: 'headcount.title' },
    { to: '/office/meetings', icon: 'comment-o', labelKey: 'records.meetings' },
    { to: '/office/hazard-stats', icon: 'bar-chart-o', labelKey: 'hazardStats.title', needs: 'hazards' },
    { to: '/office/ledger', icon: 'description', labelKey: 'ledger.title', needs: 'ledger' },
    { to: '/office/passes', icon: 'coupon-o', labelKey: 'officePasses.title', needs: 'gate' },
    { to: '/office/compliance', icon: 'passed', labelKey: 'compliance.title', needs: 'inspections' },
    { to: '/office/spot-check', icon: 'search', labelKey: 'spot.title', needs: 'inspections' },
    { to: '/office/templates', icon: 'orders-o', labelKey: 'templates.title', needs: 'inspections' },
    { to: '/office/patrol', icon: 'guide-o', labelKey: 'patrol.title', needs: 'patrol' },
    { to: '/office/incidents', icon: 'flag-o', labelKey: 'incidents.title', needs: 'incidents' },
    { to: '/office/fire', icon: 'fire-o', labelKey: 'fire.board', needs: 'fire' },
    { to: '/office/health-reports', icon: 'like-o', labelKey: 'healthReports.title', needs: 'health' },
    { to: '/office/platform', icon: 'chart-trending-o', labelKey: 'platform.title', needs: 'platform' },
    { to: '/office/assessment', icon: 'medal-o', labelKey: 'assessment.title', needs: 'assessment' },
    { to: '/office/leadership', icon: 'manager-o', labelKey: 'leadership.title' },
    { to: '/office/rules', icon: 'bookmark-o', labelKey: 'rules.title' },
    { to: '/office/trainings', icon: 'certificate', labelKey: 'training.title' },
    { to: '/office/acknowledge', icon: 'sign', labelKey: 'ack.title' },
    { to: '/office/semesters', icon: 'clock-o', labelKey: 'semesters.title' },
    { to: '/office/channels', icon: 'chat-o', labelKey: 'channels.title' },
    { to: '/office/escalations', icon: 'underway-o', labelKey: 'escalations.title' },
    { to: '/office/keys', icon: 'lock', labelKey: 'keys.title' },
    { to: '/office/audit', icon: 'eye-o', labelKey: 'audit.title' },
    { to: '/office/me', icon: 'user-o', labelKey: 'nav.me' },
  ],
  principal: [
    { to: '/principal/desk', icon: 'home-o', labelKey: 'nav.desk', todo: true },
    { to: '/principal/plans', icon: 'notes-o', labelKey: 'plans.title', needs: 'plans' },
    { to: '/principal/hazards', icon: 'warning-o', labelKey: 'nav.hazards', needs: 'hazards' },
    { to: '/principal/announcements', icon: 'volume-o', labelKey: 'announce.title' },
    { to: '/principal/duty', icon: 'calendar-o', labelKey: 'rosters.title', needs: 'rosters' },
    { to: '/principal/activities', icon: 'cluster-o', labelKey: 'records.activities' },
    { to: '/principal/headcount', icon: 'bullhorn-o', labelKey: 'headcount.title' },
    { to: '/principal/meetings', icon: 'comment-o', labelKey: 'records.meetings' },
    { to: '/principal/hazard-stats', icon: 'bar-chart-o', labelKey: 'hazardStats.title', needs: 'hazards' },
    { to: '/principal/ledger', icon: 'description', labelKey: 'ledger.title', needs: 'ledger' },
    { to: '/principal/passes', icon: 'coupon-o', labelKey: 'officePasses.title', needs: 'gate' },
    { to: '/principal/compliance', icon: 'passed', labelKey: 'compliance.title', needs: 'inspections' },
    { to: '/principal/patrol', icon: 'guide-o', labelKey: 'patrol.title', needs: 'patrol' },
    { to: '/principal/incidents', icon: 'flag-o', labelKey: 'incidents.title', needs: 'incidents' },
    { to: '/principal/fire', icon: 'fire-o', labelKey: 'fire.board', needs: 'fire' },
    { to: '/principal/platform', icon: 'chart-trending-o', labelKey: 'platform.title', needs: 'platform' },
    { to: '/principal/assessment', icon: 'medal-o', labelKey: 'assessment.title', needs: 'assessment' },
    { to: '/principal/shifts', icon: 'clock-o', labelKey: 'shifts.title', needs: 'duty' },
    { to: '/principal/leadership', icon: 'manager-o', labelKey: 'leadership.title' },
    { to: '/principal/rules', icon: 'bookmark-o', labelKey: 'rules.title' },
    { to: '/principal/trainings', icon: 'certificate', labelKey: 'training.title' },
    { to: '/principal/acknowledge', icon: 'sign', labelKey: 'ack.title' },
    { to: '/principal/me', icon: 'user-o', labelKey: 'nav.me' },
  ],
}

/** The side menu of a role on a wide screen; empty for roles that keep the tab bar. */
export function deskMenuFor(role: Role, have: Features = features): Tab[] {
  return (DESK[role] ?? []).filter((t) => !t.needs || have[t.needs])
}
