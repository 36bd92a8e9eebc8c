// Every API operation a person may call is on that person's screens: compares the operations in
// openapi.json with the SPA's typed-client calls (`api.GET('/api/v1/...')` …) in src/ and reports
// each operation nobody calls. An operation may stay uncalled only when api-coverage.json lists
// it: under `external` (meant for other programs, with the reason) or under `pendingScreens`
// (the screen that will call it is still being built; the integrator shrinks this list).
// A line `// api-coverage: POST /api/v1/auth/refresh` marks a call made outside the typed client
// (the refresh in src/api/client.ts must not go through the refreshing fetch).
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const METHODS = ['get', 'post', 'put', 'patch', 'delete']
const CALL = /\bapi\s*\.\s*(GET|POST|PUT|PATCH|DELETE)\s*\(\s*['"`]([^'"`]+)['"`]/g
const MARK = /\/\/\s*api-coverage:\s*(GET|POST|PUT|PATCH|DELETE)\s+(\S+)/g

/** `METHOD /path` for every operation of an OpenAPI document. */
export function specOperations(spec) {
  const out = []
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const m of METHODS) if (item[m]) out.push(`${m.toUpperCase()} ${path}`)
  }
  return out.sort()
}

/** `METHOD /path` for every typed-client call (and marked raw call) in the given source texts. */
export function calledOperations(texts) {
  const out = new Set()
  for (const text of texts) {
    for (const re of [CALL, MARK]) {
      for (const m of text.matchAll(re)) out.add(`${m[1]} ${m[2]}`)
    }
  }
  return out
}

/**
 * The verdict: `missing` (not called, not listed: the check fails), `stale` (listed but called,
 * or listed but not in the spec: the list must be cleaned up), `invalid` (an entry without its
 * reason or screen) and the two counts.
 */
export function coverage(spec, texts, listing) {
  const ops = specOperations(spec)
  const known = new Set(ops)
  const called = calledOperations(texts)
  const external = listing.external ?? {}
  const pending = listing.pendingScreens ?? {}
  const invalid = []
  for (const [op, why] of Object.entries(external)) if (typeof why !== 'string' || !why.trim()) invalid.push(`external ${op}: no reason`)
  for (const [op, screen] of Object.entries(pending)) if (typeof screen !== 'string' || !screen.trim()) invalid.push(`pendingScreens ${op}: no screen named`)
  for (const op of Object.keys(external)) if (op in pending) invalid.push(`${op}: listed in both sections`)
  const listed = new Set([...Object.keys(external), ...Object.keys(pending)])
  const missing = ops.filter((op) => !called.has(op) && !listed.has(op))
  const stale = [...listed].filter((op) => !known.has(op) || called.has(op)).sort()
  const unknownCalls = [...called].filter((op) => !known.has(op)).sort()
  return {
    total: ops.length,
    called: ops.filter((op) => called.has(op)).length,
    external: Object.keys(external).length,
    pending: Object.keys(pending).length,
    missing,
    stale,
    invalid,
    unknownCalls,
    ok: !missing.length && !stale.length && !invalid.length && !unknownCalls.length,
  }
}

function sources(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    if (statSync(p).isDirectory()) return sources(p)
    return /\.(ts|vue|mjs|js)$/.test(f) && f !== 'schema.d.ts' ? [readFileSync(p, 'utf8')] : []
  })
}

/** The check for a frontend directory (`root`): reads ../openapi/openapi.json, src/ and api-coverage.json. */
export function checkRoot(root) {
  const spec = JSON.parse(readFileSync(join(root, '../openapi/openapi.json'), 'utf8'))
  const listing = JSON.parse(readFileSync(join(root, 'api-coverage.json'), 'utf8'))
  return coverage(spec, sources(join(root, 'src')), listing)
}

export function report(r) {
  const lines = [
    `API coverage: ${r.called} of ${r.total} operations called by the SPA; ` +
      `${r.external} for other programs (external), ${r.pending} waiting for a screen (pendingScreens)`,
  ]
  if (r.missing.length) {
    lines.push(`${r.missing.length} operation(s) the SPA never calls and api-coverage.json does not list:`)
    for (const op of r.missing) lines.push(`  ${op}`)
  }
  if (r.stale.length) {
    lines.push('listed in api-coverage.json but called by the SPA or not in the spec (remove them):')
    for (const op of r.stale) lines.push(`  ${op}`)
  }
  if (r.unknownCalls.length) {
    lines.push('called by the SPA but not in openapi.json:')
    for (const op of r.unknownCalls) lines.push(`  ${op}`)
  }
  for (const i of r.invalid) lines.push(`api-coverage.json: ${i}`)
  return lines.join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = checkRoot(join(dirname(fileURLToPath(import.meta.url)), '..'))
  const text = report(r)
  if (r.ok) console.log(text)
  else {
    console.error(text)
    process.exit(1)
  }
}
