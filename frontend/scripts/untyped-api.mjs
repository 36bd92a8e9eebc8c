// Finds API calls and API response types that bypass the generated schema: a `raw(` /
// `rawText(` call, a hand-written interface or type named like an API answer (…Response,
// …Result, Page, Dict), or a `res.json()` cast to a literal type. Used by check-api.mjs and
// tests/unit/untyped-api.test.ts.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const RULES = [
  { re: /\braw(Text)?\s*(<[^>]*>)?\s*\(/, why: 'untyped raw()/rawText() call: use `api` from src/api/client.ts' },
  // An alias of a schema type is fine (`type Row = components['schemas']['AssessmentRow']`).
  { re: /^\s*(export\s+)?(interface\s+\w*(Response|Result|Page|Dict)\b|type\s+\w*(Response|Result|Page|Dict)\b\s*(<[^>]*>)?\s*=(?!.*\b(components|paths|S)\[))/, why: 'hand-written API response type: use components["schemas"][…] from src/api/schema.d.ts' },
  { re: /\.json\(\)\)?\s*as\s*\{/, why: 'response body cast to a hand-written type: use the schema type' },
]

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : /\.(ts|vue)$/.test(f) ? [p] : []
  })
}

/** Every violation in `root`/src (root = the frontend directory), as `file:line: why`. */
export function findUntyped(root) {
  const out = []
  for (const p of files(join(root, 'src'))) {
    const rel = relative(root, p).split('\\').join('/')
    if (rel === 'src/api/schema.d.ts' || rel === 'src/api/client.ts') continue
    readFileSync(p, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/^\s*(\/\/|\*)/.test(line)) return
        for (const r of RULES) if (r.re.test(line)) out.push(`${rel}:${i + 1}: ${r.why}`)
      })
  }
  return out
}
