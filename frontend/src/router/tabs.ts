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
