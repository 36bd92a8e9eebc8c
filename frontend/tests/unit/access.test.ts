import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ACCESS, may } from '../../src/router/access'
import { routes } from '../../src/router'

type Spec = { paths: Record<string, Record<string, { security?: { bearer?: string[] }[] }>> }
const spec = JSON.parse(readFileSync(join(process.cwd(), '../openapi/openapi.json'), 'utf8')) as Spec

function rolesInSpec(op: string): string[] {
  const [method, path] = op.split(' ')
  const o = spec.paths[path]?.[method.toLowerCase()]
  expect(o, `${op} is in the spec`).toBeTruthy()
  return (o?.security ?? []).flatMap((s) => s.bearer ?? []).sort()
}

describe('pages are offered only to roles that may load them', () => {
  it('the table says what the spec says', () => {
    for (const [op, roles] of Object.entries(ACCESS)) expect([...roles].sort(), op).toEqual(rolesInSpec(op))
  })
  it('a safety officer gets no plan-tasks page (GET /plan-items/mine is 403) but has tasks', () => {
    expect(may('safety_officer', 'GET /api/v1/plan-items/mine')).toBe(false)
    const officer = routes.find((r) => r.path === '/officer')
    const paths = (officer?.children ?? []).map((c) => c.path)
    expect(paths).not.toContain('plan-tasks')
    expect(paths).not.toContain('shifts')
    expect(paths).toContain('tasks')
    const teacher = routes.find((r) => r.path === '/teacher')
    expect((teacher?.children ?? []).map((c) => c.path)).toContain('plan-tasks')
  })
})
