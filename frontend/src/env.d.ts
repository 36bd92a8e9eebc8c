/// <reference types="vite/client" />

// The zh-CN messages in two parts (vite.config.ts, src/locales/split.ts).
declare module 'virtual:zh-core' {
  const messages: typeof import('./locales/zh-CN.json')
  export default messages
}
declare module 'virtual:zh-deferred' {
  const messages: Record<string, unknown>
  export default messages
}
