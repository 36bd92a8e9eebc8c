/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join, relative } from 'node:path'
import { namedKeys, splitMessages } from './src/locales/split.ts'

// Which feature areas the API has, read from the committed spec at build time: a page whose API
// is not there is left out of the tab bar rather than shipped broken.
const spec = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')) as { paths: Record<string, unknown> }
const has = (p: string) => p in spec.paths
const features = {
  gate: has('/api/v1/leave-passes') && has('/api/v1/gate/scans'),
  inspections: has('/api/v1/inspections') && has('/api/v1/inspection-templates'),
  hazards: has('/api/v1/hazards') && has('/api/v1/attachments'),
  visitors: has('/api/v1/visitors'),
  dashboard: has('/api/v1/dashboard'),
  ledger: has('/api/v1/ledger/xlsx'),
  health: has('/api/v1/health-reports'),
  duty: has('/api/v1/duty/my-shifts'),
  plans: has('/api/v1/plans') && has('/api/v1/plans/{id}/approve'),
  incidents: has('/api/v1/incidents'),
  rosters: has('/api/v1/duty/rosters') && has('/api/v1/duty/rosters/{id}/conflicts'),
  planTasks: has('/api/v1/plan-items/mine'),
  patrol: has('/api/v1/patrols') && has('/api/v1/patrol-checkpoints'),
  platform: has('/api/v1/platform/figures'),
  assessment: has('/api/v1/assessment'),
  fire: has('/api/v1/fire/board') && has('/api/v1/fire/items/{id}/checks'),
  todo: has('/api/v1/me/todo'),
  vehicles: has('/api/v1/vehicle-passages') && has('/api/v1/vehicles'),
  articles: has('/api/v1/articles') && has('/api/v1/public-page'),
}

// `virtual:zh-core` and `virtual:zh-deferred`: the zh-CN messages in the two parts described in
// src/locales/split.ts, cut from the one locale file at build time.
function splitLocale(): Plugin {
  const core = 'virtual:zh-core'
  const deferred = 'virtual:zh-deferred'
  const src = (p: string) => new URL(p, import.meta.url).pathname
  return {
    name: 'xiaoan-split-locale',
    resolveId(id) {
      return id === core || id === deferred ? '\0' + id : undefined
    },
    load(id) {
      if (id !== '\0' + core && id !== '\0' + deferred) return undefined
      const files = ['./src/locales/zh-CN.json', './src/router/index.ts', './src/router/tabs.ts'].map(src)
      for (const f of files) this.addWatchFile(f)
      const all = JSON.parse(readFileSync(files[0], 'utf8'))
      const keep = namedKeys(readFileSync(files[1], 'utf8') + readFileSync(files[2], 'utf8'))
      const parts = splitMessages(all, keep)
      return `export default ${JSON.stringify(id === '\0' + core ? parts.core : parts.deferred)}`
    },
  }
}

/** Every file in public/, as paths relative to it. */
function publicFiles(dir = new URL('./public', import.meta.url).pathname, root = dir): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? publicFiles(p, root) : [relative(root, p)]
  })
}

// dist/sw.js: sw/sw.js with the list of every built file (app shell, hashed assets, public
// files) to cache at install, and a version that changes with any of them.
function serviceWorker(): Plugin {
  return {
    name: 'xiaoan-service-worker',
    apply: 'build',
    generateBundle(_, bundle) {
      const built = Object.keys(bundle).filter((f) => !f.startsWith('.vite/') && !f.endsWith('.map'))
      const files = [...new Set(['index.html', ...built, ...publicFiles()])].filter((f) => f !== 'sw.js').sort()
      const hash = createHash('sha256')
      for (const f of files) {
        const b = bundle[f]
        hash.update(f)
        if (b && b.type === 'asset') hash.update(typeof b.source === 'string' ? b.source : Buffer.from(b.source))
        else if (b && b.type === 'chunk') hash.update(b.code)
      }
      const version = hash.digest('hex').slice(0, 16)
      const template = readFileSync(new URL('./sw/sw.js', import.meta.url), 'utf8')
      const source = template.replace("'__VERSION__'", JSON.stringify(version)).replace('__PRECACHE__', JSON.stringify(files))
      this.emitFile({ type: 'asset', fileName: 'sw.js', source })
    },
  }
}

// The dev server proxies /api to a running backend (default the port used in the README).
const api = process.env.XIAOAN_API ?? 'http://127.0.0.1:8080'

export default defineConfig({
  define: { __FEATURES__: JSON.stringify(features) },
  plugins: [vue(), Components({ resolvers: [VantResolver()], dts: false }), splitLocale(), serviceWorker()],
  server: { proxy: { '/api': { target: api, changeOrigin: false } } },
  build: {
    // scripts/size.mjs reads the manifest to measure what the guard's scan route loads.
    manifest: true,
    target: 'es2019',
    chunkSizeWarningLimit: 300,
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/unit/**/*.test.ts'],
    // Components mounted in unit tests import Vant's CSS: let vite handle it.
    server: { deps: { inline: ['vant'] } },
  },
})
