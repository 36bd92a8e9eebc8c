import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import zh from '../../src/locales/zh-CN.json'
import en from '../../src/locales/en-US.json'

// The server's error catalogue, as published in the spec: every code it can answer with must
// have a message in both languages, or the SPA falls back to "操作失败（code）".
const spec = JSON.parse(readFileSync(join(__dirname, '../../../openapi/openapi.json'), 'utf8')) as {
  components: { schemas: Record<string, { enum?: string[] }> }
}
const codes = spec.components.schemas.ErrorCode?.enum ?? []

describe('error catalogue', () => {
  it('is published in the spec', () => {
    expect(codes.length).toBeGreaterThan(100)
    expect(codes).toContain('swap_conflict')
  })
  it('has a Chinese message for every code', () => {
    const errors = zh.errors as Record<string, string>
    expect(codes.filter((c) => !errors[c])).toEqual([])
  })
  it('has an English message for every code', () => {
    const errors = en.errors as Record<string, string>
    expect(codes.filter((c) => !errors[c])).toEqual([])
  })
})
