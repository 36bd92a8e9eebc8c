import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../src/api/errors'

const reportClass = vi.fn()
vi.mock('../../src/api/headcount', () => ({ reportClass: (...a: unknown[]) => reportClass(...a) }))

const { submitReport, flushReports, queuedFor, waiting, wipeReports } = await import('../../src/offline/headcount')

const body = (id: string, version = 0) => ({ client_report_id: id, version, present: 39, absent: [], injured: [] })

describe('head-count report queue', () => {
  beforeEach(() => {
    wipeReports()
    reportClass.mockReset()
  })

  it('keeps a report the network lost and sends the same report id again', async () => {
    reportClass.mockRejectedValueOnce(new ApiError(0, 'network'))
    expect((await submitReport('h', 'c', body('r1'))).state).toBe('queued')
    expect(waiting.value).toBe(1)
    expect(queuedFor('h', 'c')?.body.client_report_id).toBe('r1')

    // A server under load is not an answer either.
    reportClass.mockRejectedValueOnce(new ApiError(503, 'service_unavailable'))
    await flushReports()
    expect(waiting.value).toBe(1)

    reportClass.mockResolvedValueOnce({ version: 1, replayed: false })
    const seen: string[] = []
    await flushReports((q, o) => seen.push(`${q.body.client_report_id}:${o.state}`))
    expect(seen).toEqual(['r1:sent'])
    expect(waiting.value).toBe(0)
    expect(reportClass.mock.calls.map((c) => (c[2] as { client_report_id: string }).client_report_id)).toEqual(['r1', 'r1', 'r1'])
  })

  it('drops a report the server refused and says why', async () => {
    reportClass.mockRejectedValueOnce(new ApiError(409, 'headcount_version_conflict'))
    const out = await submitReport('h', 'c', body('r2'))
    expect(out.state).toBe('refused')
    expect(out.state === 'refused' && out.error.code).toBe('headcount_version_conflict')
    expect(waiting.value).toBe(0)
  })

  it('a corrected count replaces the one still waiting for the same class', async () => {
    reportClass.mockRejectedValue(new ApiError(0, 'network'))
    await submitReport('h', 'c', body('old'))
    await submitReport('h', 'other', body('x'))
    await submitReport('h', 'c', body('new'))
    expect(waiting.value).toBe(2)
    expect(queuedFor('h', 'c')?.body.client_report_id).toBe('new')
  })
})
