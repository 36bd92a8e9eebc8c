// How long the office's and the principal's first screen takes on a laptop (issue #16: "usable
// within a second on the demo data"). A benchmark that prints figures, not a timed test.
//
// Starts `xiaoan serve --demo` (XIAOAN_BIN, default ../target/release/xiaoan, else
// ../target/debug/xiaoan) on a fresh data directory with this build's dist/, drives Debian's
// Chromium (playwright-core) at 1366×768 and, per role, signs in once through the login page,
// then opens the desk RUNS times in a fresh browser context (empty HTTP cache, no service
// worker: a morning's first visit) and RUNS times reloaded (warm cache). For each it prints the
// milliseconds from navigation start to the first usable content: the to-do card with its
// figures, the dashboard figures (office and principal both have them) and the side menu — not
// a skeleton. It also prints when the first API request left (before it: the page's code
// loading), how many API requests were made before that moment and the longest chain of them
// that waited for each other (a waterfall).
//
//   npm run build && npm run bench:desk            (RUNS=7 npm run bench:desk for more runs)
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const DIST = join(root, 'dist')
const BIN = resolve(root, process.env.XIAOAN_BIN ?? (existsSync(resolve(root, '../target/release/xiaoan')) ? '../target/release/xiaoan' : '../target/debug/xiaoan'))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const RUNS = Number(process.env.RUNS ?? 5)
const LAPTOP = { width: 1366, height: 768 }
const ROLES = [
  ['office', '/office/desk'],
  ['principal', '/principal/desk'],
]

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => res(port))
    })
  })
}

async function startBackend() {
  if (!existsSync(BIN)) throw new Error(`backend binary not found: ${BIN} (cargo build -p xiaoan, or set XIAOAN_BIN)`)
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('dist/ missing: run `npm run build` first')
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'xiaoan-bench-desk-'))
  const proc = spawn(BIN, ['serve', '--demo', '--data-dir', dataDir, '--bind', `127.0.0.1:${port}`], {
    env: { ...process.env, XIAOAN_FRONTEND_DIR: DIST, RUST_LOG: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`backend exited (${proc.exitCode})`)
    try {
      if ((await fetch(`${base}/api/health`)).ok) return { proc, base, dataDir }
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  proc.kill('SIGTERM')
  throw new Error('backend did not become healthy')
}

// The first usable content: the side menu, the to-do card with its figures (or "nothing waits")
// and the dashboard's figures, with no skeleton left in them.
function usable() {
  const todo = document.querySelector('[data-testid="todo-card"]')
  const dash = document.querySelector('[data-testid="dashboard"]')
  return (
    !!document.querySelector('[data-testid="desk-menu"]') &&
    !!todo &&
    !todo.querySelector('.van-skeleton') &&
    !!todo.querySelector('[data-testid="todo-none"], .xa-todo-cat') &&
    !!dash &&
    dash.getAttribute('aria-busy') === 'false' &&
    !!dash.querySelector('[data-testid^="figure-"]')
  )
}

async function measure(page, url) {
  const api = []
  const onReq = (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) api.push({ r, start: Date.now() })
  }
  page.on('request', onReq)
  await page.goto(url, { waitUntil: 'commit' })
  await page.waitForFunction(usable, null, { timeout: 30000, polling: 'raf' })
  const [ms, origin] = await page.evaluate(() => [performance.now(), performance.timeOrigin])
  page.off('request', onReq)
  // Requests chained: one started only after another had finished (timing from the browser).
  const spans = api
    .map(({ r }) => {
      const t = r.timing()
      return t.startTime > 0 ? { s: t.startTime, e: t.startTime + Math.max(t.responseEnd, 0) } : null
    })
    .filter(Boolean)
    .sort((a, b) => a.s - b.s)
  let depth = 0
  const chain = spans.map(() => 1)
  spans.forEach((x, i) => {
    for (let j = 0; j < i; j++) if (spans[j].e <= x.s) chain[i] = Math.max(chain[i], chain[j] + 1)
    depth = Math.max(depth, chain[i])
  })
  // When the first API request left: everything before it is loading the page's code.
  const first = spans.length ? Math.round(spans[0].s - origin) : NaN
  return { ms: Math.round(ms), requests: api.length, depth, first }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main() {
  const backend = await startBackend()
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  const ctxOpts = { viewport: LAPTOP, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', serviceWorkers: 'block' }
  console.log(`desk first screen at 1366×768, ${RUNS} runs each, backend ${BIN.replace(resolve(root, '..') + '/', '')} on the demo school`)
  try {
    for (const [user, path] of ROLES) {
      // Sign in once through the login page; the session (localStorage) is reused by each run.
      const login = await browser.newContext(ctxOpts)
      const lp = await login.newPage()
      await lp.goto(`${backend.base}/login`)
      await lp.locator('input[name="username"]').fill(user)
      await lp.locator('input[name="password"]').fill(process.env.XIAOAN_DEMO_PASSWORD ?? 'xiaoan-demo')
      await lp.getByTestId('login-submit').click()
      await lp.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 15000 })
      const storage = await login.storageState()
      await login.close()

      const cold = []
      for (let i = 0; i < RUNS; i++) {
        const ctx = await browser.newContext({ ...ctxOpts, storageState: storage })
        cold.push(await measure(await ctx.newPage(), `${backend.base}${path}`))
        await ctx.close()
      }
      const warm = []
      const ctx = await browser.newContext({ ...ctxOpts, storageState: storage })
      const page = await ctx.newPage()
      await measure(page, `${backend.base}${path}`)
      for (let i = 0; i < RUNS; i++) warm.push(await measure(page, `${backend.base}${path}`))
      await ctx.close()

      for (const [label, rs] of [['first visit (empty cache)', cold], ['reload (warm cache)', warm]]) {
        const ms = rs.map((r) => r.ms)
        console.log(
          `${user.padEnd(9)} ${label.padEnd(26)} median ${String(median(ms)).padStart(5)} ms  min ${String(Math.min(...ms)).padStart(5)}  max ${String(Math.max(...ms)).padStart(5)}  ` +
            `first API request at ${median(rs.map((r) => r.first))} ms, API requests ${median(rs.map((r) => r.requests))}, longest chain ${median(rs.map((r) => r.depth))}`,
        )
      }
    }
  } finally {
    await browser.close()
    backend.proc.kill('SIGTERM')
    rmSync(backend.dataDir, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
