// The guard phone's offline store (IndexedDB, survives closing the browser and a restart):
// the cached verification keys and revoked pass ids, the passes this phone already let through,
// and the queue of scans decided offline. Only what the verdict screen needs is kept: the token
// (which carries the student's display name and class, nothing more) and ids.
const DB = 'xiaoan-gate'
const KV = 'kv'
const QUEUE = 'queue'
const USED = 'used'

export interface QueuedScan {
  client_event_id: string
  token: string
  direction: 'exit' | 'return'
  gate: string
  scanned_at: string
  offline_result: 'allow' | 'deny'
}

let opening: Promise<IDBDatabase> | null = null

function open(): Promise<IDBDatabase> {
  if (!opening) {
    opening = new Promise<IDBDatabase>((resolve, reject) => {
      if (typeof indexedDB === 'undefined') return reject(new Error('no IndexedDB'))
      const req = indexedDB.open(DB, 1)
      req.onupgradeneeded = () => {
        const db = req.result
        if (!db.objectStoreNames.contains(KV)) db.createObjectStore(KV)
        if (!db.objectStoreNames.contains(QUEUE)) db.createObjectStore(QUEUE, { keyPath: 'client_event_id' })
        if (!db.objectStoreNames.contains(USED)) db.createObjectStore(USED)
      }
      req.onsuccess = () => {
        const db = req.result
        // Another tab deleting the database (sign-out) must not be blocked by this one.
        db.onversionchange = () => {
          db.close()
          opening = null
        }
        resolve(db)
      }
      req.onerror = () => reject(req.error)
    }).catch((e: unknown) => {
      opening = null
      throw e
    })
  }
  return opening
}

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

async function tx<T>(store: string, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open()
  const t = db.transaction(store, mode)
  const r = await done(fn(t.objectStore(store)))
  await new Promise<void>((resolve, reject) => {
    t.oncomplete = () => resolve()
    t.onerror = () => reject(t.error)
    t.onabort = () => reject(t.error)
  })
  return r
}

export const kvGet = <T>(key: string) => tx<T | undefined>(KV, 'readonly', (s) => s.get(key) as IDBRequest<T | undefined>)
export const kvSet = (key: string, value: unknown) => tx(KV, 'readwrite', (s) => s.put(value, key))

export const enqueue = (scan: QueuedScan) => tx(QUEUE, 'readwrite', (s) => s.put(scan))
export const queued = () => tx<QueuedScan[]>(QUEUE, 'readonly', (s) => s.getAll() as IDBRequest<QueuedScan[]>)
export const queueCount = () => tx(QUEUE, 'readonly', (s) => s.count())
export async function dequeue(ids: readonly string[]): Promise<void> {
  const db = await open()
  const t = db.transaction(QUEUE, 'readwrite')
  for (const id of ids) t.objectStore(QUEUE).delete(id)
  await new Promise<void>((resolve, reject) => {
    t.oncomplete = () => resolve()
    t.onerror = () => reject(t.error)
  })
}

/** Passes this phone let through (`<pass_id>:<direction>` → ms), kept two days. */
export const markUsed = (key: string) => tx(USED, 'readwrite', (s) => s.put(Date.now(), key))
export async function usedSet(): Promise<Set<string>> {
  const keys = await tx(USED, 'readonly', (s) => s.getAllKeys())
  const times = await tx<number[]>(USED, 'readonly', (s) => s.getAll() as IDBRequest<number[]>)
  const old = Date.now() - 48 * 3600 * 1000
  const stale = keys.filter((_, i) => times[i] < old)
  if (stale.length) {
    const db = await open()
    const t = db.transaction(USED, 'readwrite')
    for (const k of stale) t.objectStore(USED).delete(k)
  }
  return new Set(keys.filter((_, i) => times[i] >= old).map(String))
}

/** Sign-out: everything goes. */
export async function wipe(): Promise<void> {
  if (typeof indexedDB === 'undefined') return
  if (opening) {
    const db = await opening.catch(() => null)
    db?.close()
    opening = null
  }
  await new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase(DB)
    req.onsuccess = req.onerror = req.onblocked = () => resolve()
  })
}
