// Routes per role. `meta.roles` is UX only (which home and tabs a user sees): the server decides.
import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteLocationRaw, type RouteRecordRaw } from 'vue-router'
import { getSession } from '../api/tokens'
import type { Role } from '../stores/auth'
import { homeFor, tabsFor } from './tabs'
import { may } from './access'
import { loadDeferredMessages } from '../i18n'

const Layout = () => import('../layouts/TabLayout.vue')
const Me = () => import('../views/common/MeView.vue')

function area(prefix: string, role: Role | Role[], children: RouteRecordRaw[]): RouteRecordRaw {
  const roles = Array.isArray(role) ? role : [role]
  return {
    path: `/${prefix}`,
    component: Layout,
    meta: { roles, tabs: tabsFor(roles[0]) },
    // Pages every area has, each only where the role may load it (router/access.ts).
    children: ([
      ...children,
      { path: 'hazards/:id', name: `${prefix}-hazard`, component: HazardDetail, meta: { titleKey: 'hazard.detailTitle', back: true, needs: 'GET /api/v1/hazards/{id}' } },
      { path: 'shifts', name: `${prefix}-shifts`, component: () => import('../views/staff/MyShiftsView.vue'), meta: { titleKey: 'shifts.title', back: true, needs: 'GET /api/v1/duty/my-shifts' } },
      // The to-do list links /<area>/swaps (server-built): swaps are answered, and by the office
      // approved, on the shifts page.
      { path: 'swaps', name: `${prefix}-swaps`, redirect: { name: `${prefix}-shifts` }, meta: { needs: 'GET /api/v1/duty/my-shifts' } },
      { path: 'tasks', name: `${prefix}-tasks`, component: () => import('../views/common/MyTasksView.vue'), meta: { titleKey: 'me.tasks', back: true, needs: 'GET /api/v1/hazards' } },
      { path: 'plan-tasks', name: `${prefix}-plan-tasks`, component: () => import('../views/common/MyPlanTasksView.vue'), meta: { titleKey: 'planTasks.title', back: true, needs: 'GET /api/v1/plan-items/mine' } },
      { path: 'announcements', name: `${prefix}-announcements`, component: Announcements, meta: { titleKey: 'announce.title', back: true, needs: 'GET /api/v1/announcements' } },
      { path: 'announcements/:id', name: `${prefix}-announcement`, component: Announcements, meta: { titleKey: 'announce.title', back: true, needs: 'GET /api/v1/announcements' } },
      { path: 'activities', name: `${prefix}-activities`, component: Activities, meta: { titleKey: 'records.activities', back: true, needs: 'GET /api/v1/activities' } },
      { path: 'activities/:id', name: `${prefix}-activity`, component: Activities, meta: { titleKey: 'records.activities', back: true, needs: 'GET /api/v1/activities' } },
      { path: 'meetings', name: `${prefix}-meetings`, component: Meetings, meta: { titleKey: 'records.meetings', back: true, needs: 'GET /api/v1/meetings' } },
      { path: 'meetings/:id', name: `${prefix}-meeting`, component: Meetings, meta: { titleKey: 'records.meetings', back: true, needs: 'GET /api/v1/meetings' } },
      { path: 'acknowledge', name: `${prefix}-acknowledge`, component: Acknowledge, meta: { titleKey: 'ack.title', back: true, needs: 'GET /api/v1/me/acknowledgements' } },
      { path: 'notifications', name: `${prefix}-notifications`, component: () => import('../views/common/NotificationsView.vue'), meta: { titleKey: 'notifications.title', back: true } },
      { path: 'me', name: `${prefix}-me`, component: Me, meta: { titleKey: 'nav.me' } },
    ] as RouteRecordRaw[]).filter((r) => {
      const op = r.meta?.needs
      return !op || roles.some((role) => may(role, op))
    }),
  }
}

// Records every role reads (and the office writes): a list and its record on one page.
const Announcements = () => import('../views/records/AnnouncementsView.vue')
const Activities = () => import('../views/records/ActivitiesView.vue')
const Meetings = () => import('../views/records/MeetingsView.vue')
const HazardStats = () => import('../views/records/HazardStatsView.vue')
const SpotCheck = () => import('../views/records/SpotCheckView.vue')
const Ledger = () => import('../views/records/LedgerView.vue')
const HazardReport = () => import('../views/common/HazardReportView.vue')
const MyHazards = () => import('../views/common/MyHazardsView.vue')
const Incidents = () => import('../views/office/IncidentsView.vue')
const PatrolAdmin = () => import('../views/office/PatrolAdminView.vue')
const HazardDetail = () => import('../views/common/HazardDetailView.vue')
const Platform = () => import('../views/common/PlatformView.vue')
const Assessment = () => import('../views/principal/AssessmentView.vue')
const FireCheck = () => import('../views/fire/FireCheckView.vue')
const FireBoard = () => import('../views/fire/FireBoardView.vue')
const FireLabels = () => import('../views/fire/FireLabelsView.vue')
const FigureList = () => import('../views/office/FigureListView.vue')
const HeadcountBoard = () => import('../views/headcount/HeadcountBoardView.vue')
const ClassReport = () => import('../views/headcount/ClassReportView.vue')
const Acknowledge = () => import('../views/duties/AcknowledgeView.vue')
const Leadership = () => import('../views/duties/LeadershipView.vue')
const Rules = () => import('../views/duties/RulesView.vue')
const Trainings = () => import('../views/duties/TrainingsView.vue')
const Channels = () => import('../views/office/ChannelsView.vue')
// A list and its record are one page: on a laptop the record opens beside the list.
const Plans = () => import('../views/principal/PlansView.vue')
const Rosters = () => import('../views/office/RostersView.vue')
const fireCheck = (prefix: string): RouteRecordRaw => ({ path: 'fire/check/:id', name: `${prefix}-fire-check`, component: FireCheck, meta: { titleKey: 'fire.checkPage', back: true } })
const AREA: Partial<Record<Role, string>> = { guard: 'guard', security_office: 'office', principal: 'principal' }

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { public: true } },
  area('guard', 'guard', [
    { path: 'scan', name: 'guard-scan', component: () => import('../views/guard/ScanView.vue'), meta: { titleKey: 'nav.scan', bare: true } },
    { path: 'patrol', name: 'guard-patrol', component: () => import('../views/guard/PatrolView.vue'), meta: { titleKey: 'nav.patrol' } },
    { path: 'visitors', name: 'guard-visitors', component: () => import('../views/guard/VisitorsView.vue'), meta: { titleKey: 'nav.visitors' } },
    { path: 'vehicles', name: 'guard-vehicles', component: () => import('../views/guard/VehicleGateView.vue'), meta: { titleKey: 'nav.vehicles' } },
    { path: 'health', name: 'guard-health', component: () => import('../views/staff/HealthReportView.vue'), meta: { titleKey: 'health.title', back: true } },
    { path: 'report', name: 'guard-report', component: HazardReport, meta: { titleKey: 'nav.report' } },
    { path: 'incident', name: 'guard-incident', component: () => import('../views/guard/IncidentReportView.vue'), meta: { titleKey: 'nav.incident' } },
    fireCheck('guard'),
  ]),
  area('teacher', 'class_teacher', [
    { path: 'passes', name: 'teacher-passes', component: () => import('../views/teacher/PassesView.vue'), meta: { titleKey: 'nav.passes' } },
    { path: 'passes/new', name: 'teacher-issue', component: () => import('../views/teacher/IssuePassView.vue'), meta: { titleKey: 'pass.issueTitle', back: true } },
    { path: 'passes/:id', name: 'teacher-pass', component: () => import('../views/teacher/PassQrView.vue'), meta: { titleKey: 'pass.qrTitle', back: true } },
    { path: 'check', name: 'teacher-check', component: () => import('../views/teacher/TrafficCheckView.vue'), meta: { titleKey: 'nav.check' } },
    { path: 'class-group', name: 'teacher-class-group', component: Channels, meta: { titleKey: 'channels.teacherTitle', back: true } },
    { path: 'report', name: 'teacher-report', component: HazardReport, meta: { titleKey: 'nav.report' } },
    { path: 'spot-check', name: 'teacher-spot-check', component: SpotCheck, meta: { titleKey: 'spot.title', back: true } },
    { path: 'platform', name: 'teacher-platform', component: Platform, meta: { titleKey: 'platform.myClass', back: true } },
    { path: 'headcount', name: 'teacher-headcount', component: ClassReport, meta: { titleKey: 'headcount.reportTitle', back: true } },
  ]),
  area('officer', 'safety_officer', [
    { path: 'report', name: 'officer-report', component: HazardReport, meta: { titleKey: 'nav.report' } },
    { path: 'mine', name: 'officer-mine', component: MyHazards, meta: { titleKey: 'nav.myReports' } },
    { path: 'platform', name: 'officer-platform', component: Platform, meta: { titleKey: 'platform.myClass', back: true } },
  ]),
  area('office', 'security_office', [
    { path: 'desk', name: 'office-desk', component: () => import('../views/office/DeskView.vue'), meta: { titleKey: 'nav.desk' } },
    { path: 'hazards', name: 'office-hazards', component: () => import('../views/office/HazardsView.vue'), meta: { titleKey: 'nav.hazards' } },
    { path: 'people', name: 'office-people', component: () => import('../views/office/PeopleView.vue'), meta: { titleKey: 'nav.people' } },
    { path: 'people/import', name: 'office-import', component: () => import('../views/office/ImportView.vue'), meta: { titleKey: 'students.importTitle', back: true } },
    { path: 'passes', name: 'office-passes', component: () => import('../views/office/PassesView.vue'), meta: { titleKey: 'officePasses.title', back: true } },
    { path: 'visitors', name: 'office-visitors', component: () => import('../views/office/VisitorsDeskView.vue'), meta: { titleKey: 'nav.visitors', back: true } },
    { path: 'vehicles', name: 'office-vehicles', component: () => import('../views/office/VehiclesView.vue'), meta: { titleKey: 'nav.vehicles', back: true } },
    { path: 'articles', name: 'office-articles', component: () => import('../views/office/ArticlesView.vue'), meta: { titleKey: 'articles.pageTitle', back: true } },
    { path: 'plans', name: 'office-plans', component: Plans, meta: { titleKey: 'plans.title', back: true } },
    { path: 'plans/:id', name: 'office-plan', component: Plans, meta: { titleKey: 'plans.title', back: true } },
    { path: 'patrol', name: 'office-patrol', component: PatrolAdmin, meta: { titleKey: 'patrol.title', back: true } },
    { path: 'incidents', name: 'office-incidents', component: Incidents, meta: { titleKey: 'incidents.title', back: true } },
    { path: 'duty', name: 'office-rosters', component: Rosters, meta: { titleKey: 'rosters.title', back: true } },
    { path: 'duty/:id', name: 'office-roster', component: Rosters, meta: { titleKey: 'rosters.title', back: true } },
    { path: 'compliance', name: 'office-compliance', component: () => import('../views/office/ComplianceView.vue'), meta: { titleKey: 'compliance.title', back: true } },
    { path: 'semesters', name: 'office-semesters', component: () => import('../views/office/SemestersView.vue'), meta: { titleKey: 'semesters.title', back: true } },
    { path: 'keys', name: 'office-keys', component: () => import('../views/office/ApiKeysView.vue'), meta: { titleKey: 'keys.title', back: true } },
    { path: 'channels', name: 'office-channels', component: Channels, meta: { titleKey: 'channels.title', back: true } },
    { path: 'escalations', name: 'office-escalations', component: () => import('../views/office/EscalationSettingsView.vue'), meta: { titleKey: 'escalations.title', back: true } },
    { path: 'platform', name: 'office-platform', component: Platform, meta: { titleKey: 'platform.title', back: true } },
    { path: 'assessment', name: 'office-assessment', component: Assessment, meta: { titleKey: 'assessment.title', back: true } },
    { path: 'audit', name: 'office-audit', component: () => import('../views/office/AuditView.vue'), meta: { titleKey: 'audit.title', back: true } },
    { path: 'fire', name: 'office-fire', component: FireBoard, meta: { titleKey: 'fire.board', back: true } },
    { path: 'fire/labels', name: 'office-fire-labels', component: FireLabels, meta: { titleKey: 'fire.labels', back: true } },
    { path: 'fire/items/new', name: 'office-fire-new', component: () => import('../views/fire/FireItemFormView.vue'), meta: { titleKey: 'fire.addItem', back: true } },
    { path: 'fire/items/:id/edit', name: 'office-fire-edit', component: () => import('../views/fire/FireItemFormView.vue'), meta: { titleKey: 'fire.editItem', back: true } },
    fireCheck('office'),
    { path: 'figures/:kind', name: 'office-figure', component: FigureList, meta: { titleKey: 'figures.title', back: true } },
    { path: 'spot-check', name: 'office-spot-check', component: SpotCheck, meta: { titleKey: 'spot.title', back: true } },
    { path: 'templates', name: 'office-templates', component: () => import('../views/records/TemplatesView.vue'), meta: { titleKey: 'templates.title', back: true } },
    { path: 'hazard-stats', name: 'office-hazard-stats', component: HazardStats, meta: { titleKey: 'hazardStats.title', back: true } },
    { path: 'ledger', name: 'office-ledger', component: Ledger, meta: { titleKey: 'ledger.title', back: true } },
    { path: 'leadership', name: 'office-leadership', component: Leadership, meta: { titleKey: 'leadership.title', back: true } },
    { path: 'rules', name: 'office-rules', component: Rules, meta: { titleKey: 'rules.title', back: true } },
    { path: 'trainings', name: 'office-trainings', component: Trainings, meta: { titleKey: 'training.title', back: true } },
    { path: 'health-reports', name: 'office-health-reports', component: () => import('../views/office/HealthReportsView.vue'), meta: { titleKey: 'healthReports.title', back: true } },
    { path: 'headcount', name: 'office-headcount', component: HeadcountBoard, meta: { titleKey: 'headcount.title', back: true } },
    { path: 'headcount/:id', name: 'office-headcount-board', component: HeadcountBoard, meta: { titleKey: 'headcount.title', back: true } },
    { path: 'headcount/:id/classes/:classId', name: 'office-headcount-class', component: ClassReport, meta: { titleKey: 'headcount.enterTitle', back: true } },
  ]),
  area('principal', 'principal', [
    { path: 'desk', name: 'principal-desk', component: () => import('../views/office/DeskView.vue'), meta: { titleKey: 'nav.desk' } },
    { path: 'passes', name: 'principal-passes', component: () => import('../views/office/PassesView.vue'), meta: { titleKey: 'officePasses.title', back: true } },
    { path: 'plans', name: 'principal-plans', component: Plans, meta: { titleKey: 'plans.title' } },
    { path: 'plans/:id', name: 'principal-plan', component: Plans, meta: { titleKey: 'plans.title', back: true } },
    { path: 'patrol', name: 'principal-patrol', component: PatrolAdmin, meta: { titleKey: 'patrol.title', back: true } },
    { path: 'incidents', name: 'principal-incidents', component: Incidents, meta: { titleKey: 'incidents.title', back: true } },
    { path: 'compliance', name: 'principal-compliance', component: () => import('../views/office/ComplianceView.vue'), meta: { titleKey: 'compliance.title', back: true } },
    { path: 'platform', name: 'principal-platform', component: Platform, meta: { titleKey: 'platform.title', back: true } },
    { path: 'assessment', name: 'principal-assessment', component: Assessment, meta: { titleKey: 'assessment.title', back: true } },
    { path: 'duty', name: 'principal-rosters', component: Rosters, meta: { titleKey: 'rosters.title', back: true } },
    { path: 'duty/:id', name: 'principal-roster', component: Rosters, meta: { titleKey: 'rosters.title', back: true } },
    { path: 'hazards', name: 'principal-hazards', component: () => import('../views/office/HazardsView.vue'), meta: { titleKey: 'nav.hazards' } },
    { path: 'fire', name: 'principal-fire', component: FireBoard, meta: { titleKey: 'fire.board', back: true } },
    { path: 'fire/labels', name: 'principal-fire-labels', component: FireLabels, meta: { titleKey: 'fire.labels', back: true } },
    fireCheck('principal'),
    { path: 'hazard-stats', name: 'principal-hazard-stats', component: HazardStats, meta: { titleKey: 'hazardStats.title', back: true } },
    { path: 'ledger', name: 'principal-ledger', component: Ledger, meta: { titleKey: 'ledger.title', back: true } },
    { path: 'figures/:kind', name: 'principal-figure', component: FigureList, meta: { titleKey: 'figures.title', back: true } },
    { path: 'headcount', name: 'principal-headcount', component: HeadcountBoard, meta: { titleKey: 'headcount.title', back: true } },
    { path: 'headcount/:id', name: 'principal-headcount-board', component: HeadcountBoard, meta: { titleKey: 'headcount.title', back: true } },
    { path: 'leadership', name: 'principal-leadership', component: Leadership, meta: { titleKey: 'leadership.title', back: true } },
    { path: 'rules', name: 'principal-rules', component: Rules, meta: { titleKey: 'rules.title', back: true } },
    { path: 'trainings', name: 'principal-trainings', component: Trainings, meta: { titleKey: 'training.title', back: true } },
  ]),
  // What an item's QR label encodes: the check page in the scanning user's own area (signing
  // in first if needed, then back here).
  {
    path: '/fire/check/:id',
    name: 'fire-check',
    component: { render: () => null },
    beforeEnter: (to) => {
      const s = getSession()
      const area = s ? AREA[s.user.role] : undefined
      return area ? `/${area}/fire/check/${String(to.params.id)}` : s ? homeFor(s.user.role) : true
    },
  },
  { path: '/', name: 'root', component: { render: () => null } },
  { path: '/:rest(.*)*', name: 'not-found', component: () => import('../views/NotFoundView.vue'), meta: { public: true } },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
})

/** Who may open what: sign-in first (back to the page after), then only the own role's area. */
export function accessGuard(to: RouteLocationNormalized): RouteLocationRaw | true {
  const s = getSession()
  if (to.meta.public) return to.name === 'login' && s ? homeFor(s.user.role) : true
  if (!s) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  const roles = to.matched.find((r) => r.meta.roles)?.meta.roles as Role[] | undefined
  if (to.name === 'root' || (roles && !roles.includes(s.user.role))) return homeFor(s.user.role)
  return true
}

// Every page but the guard's scan page (kept light: see src/locales/split.ts) waits for the
// page-specific messages; if they cannot load, the page opens and shows what it has.
router.beforeEach(async (to) => {
  if (to.name !== 'guard-scan') await loadDeferredMessages().catch(() => undefined)
})
router.beforeEach(accessGuard)
