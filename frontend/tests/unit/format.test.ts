import { describe, expect, it } from 'vitest'
import { fmtDay, fmtPeriod } from '../../src/composables/format'

describe('periods as people say them', () => {
  it('turns an ISO week into its number and Monday–Sunday', () => {
    // ISO week 49 of 2026 runs from Monday 30 November to Sunday 6 December.
    expect(fmtPeriod('2026-W49')).toBe('第49周 11月30日–12月6日')
    expect(fmtPeriod('2026-W49', 'en-US')).toBe('Week 49, Nov 30–Dec 6')
  })
  it('handles weeks that straddle a year and week 53', () => {
    expect(fmtPeriod('2027-W01')).toBe('第1周 1月4日–1月10日')
    expect(fmtPeriod('2026-W01')).toBe('第1周 12月29日–1月4日')
    expect(fmtPeriod('2020-W53')).toBe('第53周 12月28日–1月3日')
  })
  it('writes months and days without codes', () => {
    expect(fmtPeriod('2026-12')).toBe('2026年12月')
    expect(fmtPeriod('2026-03', 'en-US')).toBe('March 2026')
    expect(fmtPeriod('2026-12-01')).toBe('12月1日')
  })
  it('shows nothing for nothing and an unknown shape unchanged', () => {
    expect(fmtPeriod(null)).toBe('')
    expect(fmtPeriod('term-1')).toBe('term-1')
  })
  it('writes a date with the year only when it is not this year', () => {
    const now = new Date(2026, 11, 1)
    expect(fmtDay('2026-12-07', 'zh-CN', now)).toBe('12月7日')
    expect(fmtDay('2027-01-04', 'zh-CN', now)).toBe('2027年1月4日')
    expect(fmtDay('2026-12-07', 'en-US', now)).toBe('Dec 7')
  })
})
