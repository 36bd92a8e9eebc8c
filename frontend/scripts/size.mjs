// The real gzipped size of the JavaScript the guard's scan route needs: the entry, the tab
// layout, the scan page, their static imports, and the QR decoder (+ its worker) that the page
// loads at once, and the service worker (dist/sw.js). Fails above the budget. Run after `npm run build`.
import { readFileSync, existsSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const BUDGET = 150 * 1024
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const manifestPath = join(dist, '.vite', 'manifest.json')
if (!existsSync(manifestPath)) {
  console.error('dist/.vite/manifest.json missing: run `npm run build` first')
  process.exit(2)
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))

const roots = ['index.html', 'src/layouts/TabLayout.vue', 'src/views/guard/ScanView.vue']
// Loaded by the scan page as soon as it opens (camera), so it counts.
const eager = Object.keys(manifest).filter((k) => k.includes('node_modules/qr-scanner/'))
const seen = new Set()
function visit(key) {
  if (seen.has(key)) return
  const chunk = manifest[key]
  if (!chunk) throw new Error(`not in manifest: ${key}`)
  seen.add(key)
  for (const i of chunk.imports ?? []) visit(i)
}
for (const k of [...roots, ...eager]) visit(k)

let total = 0
const rows = []
for (const key of seen) {
  const file = manifest[key].file
  if (!file.endsWith('.js')) continue
  const gz = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length
  total += gz
  rows.push([file, gz])
}
// The service worker is JavaScript the phone downloads for this route too.
if (existsSync(join(dist, 'sw.js'))) {
  const gz = gzipSync(readFileSync(join(dist, 'sw.js')), { level: 9 }).length
  total += gz
  rows.push(['sw.js', gz])
} else {
  console.error('dist/sw.js missing: the service worker was not built')
  process.exit(2)
}
rows.sort((a, b) => b[1] - a[1])
for (const [f, gz] of rows) console.log(`${(gz / 1024).toFixed(1).padStart(7)} KB  ${f}`)
const ok = total <= BUDGET
console.log(`guard scan route: ${(total / 1024).toFixed(1)} KB gzipped JS (${rows.length} files), budget ${BUDGET / 1024} KB: ${ok ? 'OK' : 'OVER BUDGET'}`)
process.exit(ok ? 0 : 1)
