// The tab bar of each role. Only pages whose API exists on the server are listed.
import type { Role } from '../stores/auth'

export interface Tab {
  to: string
  icon: string
  labelKey: string
}

const TABS: Record<Role, Tab[]> = {
  guard: [
    { to: '/guard/scan', icon: 'scan', labelKey: 'nav.scan' },
    { to: '/guard/report', icon: 'warning-o', labelKey: 'nav.report' },
    { to: '/guard/me', icon: 'user-o', labelKey: 'nav.me' },
  ],
  class_teacher: [
    { to: '/teacher/passes', icon: 'notes-o', labelKey: 'nav.passes' },
    { to: '/teacher/check', icon: 'passed', labelKey: 'nav.check' },
    { to: '/teacher/report', icon: 'warning-o', labelKey: 'nav.report' },
    { to: '/teacher/me', icon: 'user-o', labelKey: 'nav.me' },
  ],
  safety_officer: [
    { to: '/officer/report', icon: 'warning-o', labelKey: 'nav.report' },
    { to: '/officer/mine', icon: 'records-o', labelKey: 'nav.myReports' },
    { to: '/officer/me', icon: 'user-o', labelKey: 'nav.me' },
  ],
  security_office: [
    { to: '/office/desk', icon: 'home-o', labelKey: 'nav.desk' },
    { to: '/office/hazards', icon: 'warning-o', labelKey: 'nav.hazards' },
    { to: '/office/people', icon: 'friends-o', labelKey: 'nav.people' },
    { to: '/office/me', icon: 'user-o', labelKey: 'nav.me' },
  ],
  principal: [
    { to: '/principal/desk', icon: 'home-o', labelKey: 'nav.desk' },
    { to: '/principal/hazards', icon: 'warning-o', labelKey: 'nav.hazards' },
    { to: '/principal/me', icon: 'user-o', labelKey: 'nav.me' },
  ],
}

export function tabsFor(role: Role): Tab[] {
  return TABS[role]
}
