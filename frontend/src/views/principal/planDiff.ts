// What changed in a plan since the principal last saw it returned: the API keeps no earlier
// versions, so the principal's device keeps what it returned and compares on resubmission.
import type { Plan } from '../../api/plans'

export interface PlanSnapshot {
  at: string
  sections: Record<'guiding_ideology' | 'goals_and_priorities' | 'measures', string>
  items: { id: string; month: string; title: string; owner: string; due: string; note: string }[]
}
export interface PlanChanges {
  added: string[]
  removed: string[]
  changed: string[]
  sections: string[]
}
const KEY = 'xa.planseen.'
const SECTIONS = ['guiding_ideology', 'goals_and_priorities', 'measures'] as const

export function snapshot(p: Plan): PlanSnapshot {
  return {
    at: p.submitted_at ?? p.updated_at,
    sections: { guiding_ideology: p.guiding_ideology, goals_and_priorities: p.goals_and_priorities, measures: p.measures },
    items: p.items.map((i) => ({ id: i.id, month: i.month, title: i.title, owner: i.owner_name ?? '', due: i.due_date ?? '', note: i.note ?? '' })),
  }
}

export function diffPlan(prev: PlanSnapshot, cur: Plan): PlanChanges {
  const now = snapshot(cur)
  const before = new Map(prev.items.map((i) => [i.id, i]))
  const after = new Map(now.items.map((i) => [i.id, i]))
  const added = now.items.filter((i) => !before.has(i.id)).map((i) => i.title)
  const removed = prev.items.filter((i) => !after.has(i.id)).map((i) => i.title)
  const changed = now.items
    .filter((i) => {
      const b = before.get(i.id)
      return b && (b.month !== i.month || b.title !== i.title || b.owner !== i.owner || b.due !== i.due || b.note !== i.note)
    })
    .map((i) => i.title)
  const sections = SECTIONS.filter((k) => prev.sections[k] !== now.sections[k])
  return { added, removed, changed, sections: [...sections] }
}

export function saveSeen(p: Plan): void {
  try {
    localStorage.setItem(KEY + p.id, JSON.stringify(snapshot(p)))
  } catch {
    /* without storage there is no summary next time */
  }
}
export function loadSeen(id: string): PlanSnapshot | null {
  try {
    const s = localStorage.getItem(KEY + id)
    return s ? (JSON.parse(s) as PlanSnapshot) : null
  } catch {
    return null
  }
}
