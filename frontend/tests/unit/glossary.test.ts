// One word for one thing: the glossary in the locale files names the word each screen uses and
// the synonyms it must not use; no other message may use one of those.
import { describe, expect, it } from 'vitest'
import zh from '../../src/locales/zh-CN.json'
import en from '../../src/locales/en-US.json'

type Tree = { [k: string]: string | Tree }
function flatten(o: Tree, prefix = ''): [string, string][] {
  return Object.entries(o).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k
    return typeof v === 'string' ? [[key, v] as [string, string]] : flatten(v, key)
  })
}
// Places and proper names that contain an avoided word but are not the thing itself.
// 门卫培训 is the plan's own name for the guards' training, 门卫岗 the post in its duties.
const ALLOWED = [/门卫室/, /门卫培训/, /门卫岗/]

for (const [lang, messages] of [['zh-CN', zh], ['en-US', en]] as const) {
  describe(`glossary (${lang})`, () => {
    const g = (messages as unknown as { glossary: { avoid: Record<string, string> } & Record<string, string> }).glossary
    const all = flatten(messages as unknown as Tree).filter(([k]) => !k.startsWith('glossary.'))
    it('names a preferred word for every word it avoids', () => {
      for (const k of Object.keys(g.avoid)) expect(typeof g[k], k).toBe('string')
    })
    it('is followed by every message', () => {
      const bad: string[] = []
      for (const [concept, words] of Object.entries(g.avoid)) {
        for (const w of words.split('、').map((s) => s.trim()).filter(Boolean)) {
          for (const [key, text] of all) {
            const plain = ALLOWED.reduce((s, re) => s.replace(re, ''), text)
            if (plain.toLowerCase().includes(w.toLowerCase())) bad.push(`${key}: “${w}” → “${g[concept]}”`)
          }
        }
      }
      expect(bad).toEqual([])
    })
  })
}
