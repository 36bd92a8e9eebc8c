// The zh-CN messages ship in two parts so that the guard's scan route stays within its JavaScript
// budget: the namespaces every first screen may show (the entry chunk) and the page-specific ones
// below (a chunk loaded after the first screen, awaited before any other page opens; see
// `loadDeferredMessages` in i18n.ts). Page titles and menu labels that the router and the menus
// name (`'fire.title'` …) stay in the first part, so the tab bar and the side menu never flash
// a raw key. `tests/unit/locale-split.test.ts` checks that the scan route uses no deferred key.

export const DEFERRED_NAMESPACES: readonly string[] = [
  'ack', 'announce', 'articles', 'assessment', 'attribution', 'audit', 'auditLog', 'buildings',
  'check', 'compliance', 'dashboard', 'duty', 'dutyToday', 'expectedDesk', 'feed', 'figures',
  'fire', 'glossary', 'hazardStats', 'healthReports', 'incident', 'incidents', 'keys',
  'escalations', 'leadership', 'ledger', 'letters', 'myTasks', 'notifications', 'officePasses',
  'patrol', 'people', 'planEdit', 'planTasks', 'plans', 'platform', 'records', 'reports', 'rosters',
  'rules', 'semesters', 'shifts', 'spot',
  'students', 'tally', 'templates', 'training', 'vehicles', 'visitorsDesk',
]

type Tree = { [key: string]: unknown }

/** The keys (`ns.a.b`) that a source text names as string literals. */
export function namedKeys(source: string): string[] {
  return [...source.matchAll(/['"`]([a-zA-Z]+(?:\.[a-zA-Z0-9_]+)+)['"`]/g)].map((m) => m[1])
}

function pick(tree: Tree, path: string[]): unknown {
  let node: unknown = tree
  for (const p of path) node = node && typeof node === 'object' ? (node as Tree)[p] : undefined
  return node
}

function put(tree: Tree, path: string[], value: unknown): void {
  let node = tree
  for (const p of path.slice(0, -1)) node = (node[p] ??= {}) as Tree
  node[path[path.length - 1]] = value
}

/** Splits all messages into the first part (with `keep`, the keys the menus name) and the rest. */
export function splitMessages(all: Tree, keep: string[]): { core: Tree; deferred: Tree } {
  const core: Tree = {}
  const deferred: Tree = {}
  for (const [ns, value] of Object.entries(all)) {
    if (DEFERRED_NAMESPACES.includes(ns)) deferred[ns] = value
    else core[ns] = value
  }
  for (const key of keep) {
    const path = key.split('.')
    if (!DEFERRED_NAMESPACES.includes(path[0])) continue
    const value = pick(all, path)
    if (typeof value === 'string') put(core, path, value)
  }
  return { core, deferred }
}
