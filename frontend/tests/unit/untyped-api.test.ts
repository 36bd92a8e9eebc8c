import { describe, expect, it } from 'vitest'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error plain ESM script without types
import { findUntyped } from '../../scripts/untyped-api.mjs'

// vitest runs in the frontend directory.
const root = process.cwd()

describe('every API call goes through the typed client', () => {
  it('finds no raw() call or hand-written response type in src/', () => {
    expect(findUntyped(root)).toEqual([])
  })
  it('catches each kind of bypass', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xa-untyped-'))
    try {
      mkdirSync(join(dir, 'src'))
      writeFileSync(
        join(dir, 'src', 'bad.ts'),
        [
          "const d = await raw<Dict>('GET', '/api/v1/dashboard')",
          "const s = await rawText('/api/v1/leave-passes/1/qr.svg')",
          'interface ShiftResponse { id: string }',
          'type Page<T> = { items: T[] }',
          'const b = (await res.json()) as { access_token: string }',
          "type Fine = components['schemas']['ShiftResponse']",
          "type FineResult = components['schemas']['PlatformImportResult']",
          '// raw( in a comment is fine',
        ].join('\n'),
      )
      const found = (findUntyped(dir) as string[]).map((l) => l.split(':')[1])
      expect(found).toEqual(['1', '2', '3', '4', '5'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
