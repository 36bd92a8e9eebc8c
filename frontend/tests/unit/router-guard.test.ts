// The router's guard: sign-in first (and back to the page after), each role only in its own
// area (another role's page sends it home), the fire label's link to the user's own area.
import { beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { setSession } from '../../src/api/tokens'
import { accessGuard, routes } from '../../src/router'
import { homeFor } from '../../src/router/tabs'
import type { Role } from '../../src/stores/auth'

// Lazy pages are not loaded here: only where navigation ends matters.
const stub = { render: () => null }
const light = routes.map(function strip(r): typeof r {
  return { ...r, ...('component' in r && r.component ? { component: stub } : {}), children: r.children?.map(strip) } as typeof r
})

function signIn(role: Role | null) {
  setSession(role ? { access: 'a', user: { id: 'u', username: 'x', display_name: 'X', role, is_active: true, class_ids: [], created_at: '', updated_at: '' } as never } : null)
}

async function go(path: string) {
  const r = createRouter({ history: createMemoryHistory(), routes: light })
  r.beforeEach(accessGuard)
  await r.push(path)
  return r.currentRoute.value
}

describe('router guards', () => {
  beforeEach(() => signIn(null))

  it('sends a signed-out visitor to sign-in, remembering where they were going', async () => {
    const to = await go('/teacher/passes/new')
    expect(to.name).toBe('login')
    expect(to.query.next).toBe('/teacher/passes/new')
    const root = await go('/')
    expect(root.name).toBe('login')
    expect(root.query.next).toBeUndefined()
  })

  it('opens public pages without a session', async () => {
    expect((await go('/login')).name).toBe('login')
    expect((await go('/no/such/page')).name).toBe('not-found')
  })

  it('lets each role into its own area and lands it on its home', async () => {
    const own: [Role, string][] = [
      ['guard', '/guard/patrol'],
      ['class_teacher', '/teacher/check'],
      ['safety_officer', '/officer/mine'],
      ['security_office', '/office/people'],
      ['principal', '/principal/plans'],
    ]
    for (const [role, path] of own) {
      signIn(role)
      expect((await go(path)).fullPath, role).toBe(path)
      expect((await go('/')).fullPath, role).toBe(homeFor(role))
      expect((await go('/login')).fullPath, `${role} signed in`).toBe(homeFor(role))
    }
  })

  it('sends a role away from another role\'s pages to its own home', async () => {
    const foreign: [Role, string][] = [
      ['guard', '/office/people'],
      ['class_teacher', '/principal/plans'],
      ['class_teacher', '/guard/scan'],
      ['safety_officer', '/teacher/passes/new'],
      ['security_office', '/principal/assessment'],
      ['principal', '/office/keys'],
    ]
    for (const [role, path] of foreign) {
      signIn(role)
      expect((await go(path)).fullPath, `${role} → ${path}`).toBe(homeFor(role))
    }
  })

  it('offers no page whose data the role may not load', async () => {
    signIn('safety_officer')
    // GET /plan-items/mine is 403 for a safety officer: the page does not exist in its area.
    expect((await go('/officer/plan-tasks')).name).toBe('not-found')
    signIn('class_teacher')
    expect((await go('/teacher/plan-tasks')).name).toBe('teacher-plan-tasks')
  })

  it('opens a fire label in the scanning user\'s own area', async () => {
    signIn('guard')
    expect((await go('/fire/check/f1')).fullPath).toBe('/guard/fire/check/f1')
    signIn('security_office')
    expect((await go('/fire/check/f1')).fullPath).toBe('/office/fire/check/f1')
    signIn('class_teacher')
    expect((await go('/fire/check/f1')).fullPath).toBe(homeFor('class_teacher'))
    signIn(null)
    const to = await go('/fire/check/f1')
    expect([to.name, to.query.next]).toEqual(['login', '/fire/check/f1'])
  })
})
