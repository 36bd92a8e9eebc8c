// Which roles may call the operations that pages shared by every role load (the spec's
// `security`). A page or link is offered only to roles that may load it, so nobody is shown a
// 403 with a 重试 button. tests/unit/access.test.ts checks this table against
// ../openapi/openapi.json, so it cannot drift from the server.
import type { Role } from '../stores/auth'

const ALL: Role[] = ['principal', 'security_office', 'class_teacher', 'guard', 'safety_officer']
const STAFF: Role[] = ['principal', 'security_office', 'class_teacher', 'guard']

export const ACCESS = {
  'GET /api/v1/plan-items/mine': STAFF,
  'GET /api/v1/duty/my-shifts': STAFF,
  'GET /api/v1/duty/me': STAFF,
  'GET /api/v1/hazards': ALL,
  'GET /api/v1/hazards/{id}': ALL,
  'GET /api/v1/health-reports': ['guard', 'security_office'],
  'POST /api/v1/health-reports': ['guard'],
  'GET /api/v1/announcements': ALL,
  'GET /api/v1/activities': STAFF,
  'GET /api/v1/meetings': STAFF,
  'GET /api/v1/me/acknowledgements': STAFF,
  'GET /api/v1/platform/figures': ['principal', 'security_office', 'class_teacher', 'safety_officer'],
} as const satisfies Record<string, readonly Role[]>

export type Operation = keyof typeof ACCESS

export function may(role: Role | null | undefined, op: Operation): boolean {
  return !!role && (ACCESS[op] as readonly Role[]).includes(role)
}
