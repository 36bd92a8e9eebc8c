/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'

// The dev server proxies /api to a running backend (default the port used in the README).
const api = process.env.XIAOAN_API ?? 'http://127.0.0.1:8080'

export default defineConfig({
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
