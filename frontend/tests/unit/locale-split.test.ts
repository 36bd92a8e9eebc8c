// The guard's scan route ships only the first part of the zh-CN messages (src/locales/split.ts):
// every key its code names must be in that part, or the guard would see a raw key.
import { describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import zh from '../../src/locales/zh-CN.json'
import { DEFERRED_NAMESPACES, namedKeys, splitMessages } from '../../src/locales/split'

const root = resolve(__dirname, '../..')
const roots = ['src/main.ts', 'src/App.vue', 'src/layouts/TabLayout.vue', 'src/views/guard/ScanView.vue']

/** The source files the scan route loads: static relative imports from its roots. */
function scanRouteFiles(): string[] {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const src = readFileSync(file, 'utf8')
    for (const m of src.matchAll(/(?:^|\n)\s*import\s+(?!type\b)(?:[^'"]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const base = resolve(dirname(file), m[1])
      const hit = [base, `${base}.ts`, `${base}.vue`, `${base}/index.ts`].find(
        (c) => existsSync(c) && /\.(ts|vue)$/.test(c),
      )
      if (hit) visit(hit)
    }
  }
  for (const r of roots) visit(resolve(root, r))
  return [...seen]
}

function has(tree: unknown, key: string): boolean {
  let node = tree
  for (const p of key.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined
  return node !== undefined
}

describe('the split zh-CN messages', () => {
  const menus = ['src/router/index.ts', 'src/router/tabs.ts'].map((f) => readFileSync(resolve(root, f), 'utf8')).join('\n')
  const { core, deferred } = splitMessages(zh as Record<string, unknown>, namedKeys(menus))

  it('lose nothing: the two parts hold every namespace once', () => {
    expect(Object.keys(deferred).sort()).toEqual(DEFERRED_NAMESPACES.filter((n) => n in zh).sort())
    for (const ns of Object.keys(zh)) expect(ns in core || ns in deferred, ns).toBe(true)
  })

  it('keep every menu label and page title in the first part', () => {
    for (const key of namedKeys(menus).filter((k) => has(zh, k))) expect(has(core, key), key).toBe(true)
  })

  it('give the scan route every key its code names', () => {
    const files = scanRouteFiles()
    expect(files.some((f) => f.endsWith('ScanView.vue'))).toBe(true)
    const missing: string[] = []
    for (const file of files) {
      const src = readFileSync(file, 'utf8')
      // t('ns.key'), t(`ns.${x}`) and keys named as literals ('ns.key' handed to t later).
      const used = [
        ...[...src.matchAll(/\b(?:t|te|tm)\(\s*['"`]([a-zA-Z]+)\./g)].map((m) => m[1]),
        ...namedKeys(src).filter((k) => has(zh, k)).map((k) => k),
      ]
      for (const key of used) {
        const ok = key.includes('.') ? has(core, key) : !DEFERRED_NAMESPACES.includes(key)
        if (!ok) missing.push(`${file.replace(root + '/', '')}: ${key}`)
      }
    }
    expect(missing).toEqual([])
  })
})
