import { describe, expect, it } from 'vitest'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import zh from '../../src/locales/zh-CN.json'
import en from '../../src/locales/en-US.json'
import { DENY_REASONS } from '../../src/views/guard/verdict'

type Tree = { [k: string]: string | Tree }
function flatten(o: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (typeof v === 'string') out.set(key, v)
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv)
  }
  return out
}
const zhKeys = flatten(zh as Tree)
const enKeys = flatten(en as Tree)
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? sources(p) : /\.(vue|ts)$/.test(f) ? [p] : []
  })
}

describe('i18n coverage', () => {
  it('has every key in both languages', () => {
    expect([...zhKeys.keys()].filter((k) => !enKeys.has(k))).toEqual([])
    expect([...enKeys.keys()].filter((k) => !zhKeys.has(k))).toEqual([])
  })
  it('uses the same placeholders in both languages', () => {
    const bad = [...zhKeys].filter(([k, v]) => placeholders(v).join() !== placeholders(enKeys.get(k) ?? '').join())
    expect(bad.map(([k]) => k)).toEqual([])
  })
  it('has no empty messages except deliberate ones', () => {
    expect([...zhKeys].filter(([k, v]) => !v && k !== 'scan.camera.on').map(([k]) => k)).toEqual([])
  })
  it('defines every literal key used in the code', () => {
    const root = join(__dirname, '../../src')
    const used = new Set<string>()
    for (const f of sources(root)) {
      const text = readFileSync(f, 'utf8')
      for (const m of text.matchAll(/(?:\bt|\$t|labelKey:|titleKey:|reasonKey:|headlineKey:)\(?\s*'([a-zA-Z][\w]*(?:\.[\w]+)+)'/g)) used.add(m[1])
    }
    expect(used.size).toBeGreaterThan(50)
    expect([...used].filter((k) => !zhKeys.has(k))).toEqual([])
  })
  it('has a plain-language reason for every deny code', () => {
    for (const c of DENY_REASONS) expect(zhKeys.has(`scan.deny.${c}`), c).toBe(true)
  })
  it('is written in Chinese by default', () => {
    expect(zhKeys.get('scan.allow')).toBe('放行')
    expect(zhKeys.get('scan.deny.headline')).toBe('禁止')
  })
})
