import { describe, expect, it } from 'vitest'
// @ts-expect-error plain ESM script without types
import { checkRoot, coverage, report } from '../../scripts/api-coverage.mjs'

const spec = {
  paths: {
    '/api/health': { get: {} },
    '/api/v1/things': { get: {}, post: {} },
    '/api/v1/things/{id}': { get: {}, delete: {}, parameters: [] },
    '/api/v1/auth/refresh': { post: {} },
  },
}
const sources = [
  "export const list = () => call(api.GET('/api/v1/things', { params: { query: { limit: 5 } } }))",
  'const one = (id: string) => api.GET(\n  "/api/v1/things/{id}", { params: { path: { id } } })',
  '// api-coverage: POST /api/v1/auth/refresh (raw fetch)',
]

describe('the API coverage check', () => {
  it('fails listing every operation neither called nor listed', () => {
    const r = coverage(spec, sources, { external: {}, pendingScreens: {} })
    expect(r.ok).toBe(false)
    expect(r.missing).toEqual(['DELETE /api/v1/things/{id}', 'GET /api/health', 'POST /api/v1/things'])
    expect(r.total).toBe(6)
    expect(r.called).toBe(3)
    expect(report(r)).toContain('  POST /api/v1/things')
  })

  it('passes when the rest is listed, and counts both sections', () => {
    const r = coverage(spec, sources, {
      external: { 'GET /api/health': 'liveness probe' },
      pendingScreens: { 'POST /api/v1/things': 'thing form', 'DELETE /api/v1/things/{id}': 'thing detail' },
    })
    expect(r.ok).toBe(true)
    expect([r.external, r.pending]).toEqual([1, 2])
    expect(report(r)).toContain('1 for other programs (external), 2 waiting for a screen (pendingScreens)')
  })

  it('refuses an entry without a reason, an entry already called and one not in the spec', () => {
    const r = coverage(spec, sources, {
      external: { 'GET /api/health': ' ', 'GET /api/v1/things': 'already called' },
      pendingScreens: { 'POST /api/v1/things': 'thing form', 'DELETE /api/v1/things/{id}': 'x', 'GET /api/v1/gone': 'old' },
    })
    expect(r.ok).toBe(false)
    expect(r.invalid).toEqual(['external GET /api/health: no reason'])
    expect(r.stale).toEqual(['GET /api/v1/gone', 'GET /api/v1/things'])
  })

  it('refuses a call to an operation the spec does not have', () => {
    const r = coverage(spec, [...sources, "api.PUT('/api/v1/things/{id}')"], {
      external: { 'GET /api/health': 'probe' },
      pendingScreens: { 'POST /api/v1/things': 'a', 'DELETE /api/v1/things/{id}': 'b' },
    })
    expect(r.unknownCalls).toEqual(['PUT /api/v1/things/{id}'])
    expect(r.ok).toBe(false)
  })

  it('holds for the real spec and SPA', () => {
    const r = checkRoot(process.cwd())
    expect(report(r)).not.toContain('never calls')
    expect(r.ok).toBe(true)
  })
})
