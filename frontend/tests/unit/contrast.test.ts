// Text contrast of the theme (WCAG 2.x AA: 4.5:1 for normal text). The colours are read from the
// CSS the app really loads, Vant's variables then src/styles.css, so a lighter grey or a brighter
// verdict colour put back into either fails here before a guard squints at it in the sun.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(__dirname, '../..')

/** The custom properties declared in every `:root` rule of a stylesheet: [selector, name, value]. */
function rootVariables(css: string): [string, string, string][] {
  const out: [string, string, string][] = []
  for (const [, selector, body] of css.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    if (!selector.trim().startsWith(':root')) continue
    for (const decl of body.split(';')) {
      const m = decl.match(/^\s*(--[\w-]+)\s*:\s*(.+?)\s*$/)
      if (m) out.push([selector.trim(), m[1], m[2]])
    }
  }
  return out
}

const vantDir = join(root, 'node_modules/vant/es')
const vantBase = rootVariables(readFileSync(join(vantDir, 'style/css-variables.css'), 'utf8'))
// Each Vant component's stylesheet declares its own variables on :root; the resolver loads it
// with the component, after src/styles.css.
const vantComponents = readdirSync(vantDir)
  .filter((d) => statSync(join(vantDir, d)).isDirectory())
  .flatMap((d) => {
    try {
      return rootVariables(readFileSync(join(vantDir, d, 'index.css'), 'utf8'))
    } catch {
      return []
    }
  })
const ours = rootVariables(readFileSync(join(root, 'src/styles.css'), 'utf8'))
// Ours last: a palette variable wins by order (Vant's base CSS is imported first); a component
// variable wins by specificity (see the test below).
const vars = new Map<string, string>([...vantBase, ...vantComponents, ...ours].map(([, k, v]) => [k, v]))

describe('theme variables', () => {
  it('component colour variables are overridden with a selector that beats the component CSS loaded later', () => {
    const componentVars = new Set(vantComponents.map(([, k]) => k).filter((k) => /color|background/.test(k)))
    const weak = ours.filter(([sel, k]) => componentVars.has(k) && sel === ':root').map(([, k]) => k)
    expect(weak).toEqual([])
  })
})

/** A colour as written in CSS (#rgb, #rrggbb, var(--x)) resolved to #rrggbb. */
function resolve(value: string, depth = 0): string {
  const v = value.trim()
  const ref = v.match(/^var\(\s*(--[\w-]+)\s*(?:,\s*(.+))?\)$/)
  if (ref) {
    if (depth > 20) throw new Error(`variable cycle at ${v}`)
    const next = vars.get(ref[1]) ?? ref[2]
    if (next === undefined) throw new Error(`undefined variable ${ref[1]}`)
    return resolve(next, depth + 1)
  }
  if (v === 'white') return '#ffffff'
  const hex = v.match(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i)
  if (!hex) throw new Error(`not a solid colour: ${v}`)
  const h = hex[1].length === 3 ? [...hex[1]].map((c) => c + c).join('') : hex[1]
  return `#${h.toLowerCase()}`
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(resolve(a)), luminance(resolve(b))].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}

describe('contrast helper', () => {
  it('matches the WCAG reference values', () => {
    expect(contrast('#000', '#fff')).toBeCloseTo(21, 5)
    expect(contrast('#fff', '#fff')).toBeCloseTo(1, 5)
    // Vant's default grey on white, the value the issue measured.
    expect(contrast('#969799', '#fff')).toBeCloseTo(2.92, 2)
    expect(contrast('#fff', '#07c160')).toBeCloseTo(2.38, 2)
  })
})

// [what it is, text colour, background]
const pairs: [string, string, string][] = [
  // Body text and secondary text on every page background Vant and we use.
  ...['#fff', 'var(--van-background)', 'var(--van-background-2)', 'var(--van-gray-2)', 'var(--van-gray-3)', '#f5f6f8'].flatMap(
    (bg): [string, string, string][] => [
      [`text on ${bg}`, 'var(--van-text-color)', bg],
      [`secondary text (cell labels and values, group titles, .xa-muted) on ${bg}`, 'var(--van-text-color-2)', bg],
    ],
  ),
  ['field placeholder on white', 'var(--van-field-placeholder-text-color)', 'var(--van-cell-background)'],
  ['cell label', 'var(--van-cell-label-color)', 'var(--van-cell-background)'],
  ['cell value', 'var(--van-cell-value-color)', 'var(--van-cell-background)'],
  ['cell group title on the page', 'var(--van-cell-group-title-color)', 'var(--van-background)'],
  ['default tag', 'var(--van-tag-text-color)', 'var(--van-tag-default-color)'],
  // White text on the coloured buttons, tags and notifications.
  ...['primary', 'success', 'danger', 'warning'].map((k): [string, string, string] => [`white on ${k}`, '#fff', `var(--van-${k}-color)`]),
  // The same colours as text: plain buttons and tags, nav bar links, tabs, tab bar, errors.
  ...['primary', 'success', 'danger', 'warning'].map((k): [string, string, string] => [`${k} text on white`, `var(--van-${k}-color)`, '#fff']),
  ['nav bar link', 'var(--van-nav-bar-text-color)', 'var(--van-nav-bar-background)'],
  ['active tab bar item', 'var(--van-tabbar-item-active-color)', 'var(--van-tabbar-item-active-background)'],
  ['notice bar', 'var(--van-notice-bar-text-color)', 'var(--van-notice-bar-background)'],
  ['field error message', 'var(--van-field-error-message-color)', 'var(--van-cell-background)'],
  ['dialog confirm button', 'var(--van-dialog-confirm-button-text-color)', 'var(--van-dialog-background)'],
  // The gate's verdict screens: big white text on green / red.
  ['放行 verdict', '#fff', 'var(--xa-allow)'],
  ['禁止 verdict', '#fff', 'var(--xa-deny)'],
  // The weekly check's 合格 / 不合格 pills, and the 已提交 notice.
  ['合格 pill', 'var(--xa-allow)', '#f0fff4'],
  ['不合格 pill', 'var(--xa-deny)', '#fff1f0'],
]

describe('theme contrast ≥ 4.5:1', () => {
  it.each(pairs)('%s', (_what, fg, bg) => {
    expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5)
  })
})

/** Every .vue file under src/. */
function vueFiles(dir = join(root, 'src')): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? vueFiles(p) : p.endsWith('.vue') ? [p] : []
  })
}

describe('no page bypasses the theme with a low-contrast colour', () => {
  // Vant's default palette, written out as literals: under 4.5:1 with white (as text or behind
  // white text). A page that needs one of these colours uses the variable, which the theme sets.
  const failing = ['#969799', '#07c160', '#ee0a24', '#1989fa', '#ff976a', '#ed6a0c']
  it.each(vueFiles().map((f) => [f.slice(root.length + 1), f]))('%s', (_name, file) => {
    const src = readFileSync(file, 'utf8').toLowerCase()
    expect(failing.filter((c) => new RegExp(`${c}(?![0-9a-f])`).test(src))).toEqual([])
  })
})
