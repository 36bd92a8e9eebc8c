// The service worker (built into dist/sw.js by vite.config.ts, which fills in the version and
// the list of files): the app shell and every hashed asset are cached at install, so that the
// guard's phone opens the app with no network once it has been opened online. Pages are
// network-first (a new build shows up at the next online start), assets cache-first (their
// names change with their content). /api is never touched: what the gate needs offline is
// stored deliberately in IndexedDB by the app.
/* eslint-disable */
const VERSION = '__VERSION__'
const PRECACHE = __PRECACHE__
const CACHE = `xiaoan-${VERSION}`
const NAV_TIMEOUT_MS = 4000

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((c) => c.addAll(PRECACHE.map((f) => new Request(`/${f}`, { cache: 'reload' })))).then(() => self.skipWaiting()),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('xiaoan-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  )
})

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))
}

self.addEventListener('fetch', (event) => {
  const req = event.request
  if (req.method !== 'GET') return
  const url = new URL(req.url)
  if (url.origin !== self.location.origin) return
  if (url.pathname.startsWith('/api') || url.pathname === '/sw.js' || url.pathname.startsWith('/swagger-ui') || url.pathname.startsWith('/api-docs')) return
  if (req.mode === 'navigate') {
    // History-mode routes all are index.html.
    event.respondWith(
      Promise.race([fetch(req), timeout(NAV_TIMEOUT_MS)])
        .then((res) => {
          if (res.ok && (res.headers.get('Content-Type') || '').includes('text/html')) {
            const copy = res.clone()
            caches.open(CACHE).then((c) => c.put('/index.html', copy))
          }
          return res
        })
        .catch(() => caches.match('/index.html', { cacheName: CACHE }).then((r) => r || Response.error())),
    )
    return
  }
  event.respondWith(
    caches.match(req, { cacheName: CACHE }).then(
      (hit) =>
        hit ||
        fetch(req).then((res) => {
          if (res.ok && url.pathname.startsWith('/assets/')) {
            const copy = res.clone()
            caches.open(CACHE).then((c) => c.put(req, copy))
          }
          return res
        }),
    ),
  )
})
