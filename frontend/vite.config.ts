/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { readFileSync } from 'node:fs'

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
  fire: has('/api/v1/fire/board') && has('/api/v1/fire/items/{id}/checks'),
}

// The dev server proxies /api to a running backend (default the port used in the README).
const api = process.env.XIAOAN_API ?? 'http://127.0.0.1:8080'

export default defineConfig({
  define: { __FEATURES__: JSON.stringify(features) },
  plugins: [vue(), Components({ resolvers: [VantResolver()], dts: false })],
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
  },
})
