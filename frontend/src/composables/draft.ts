// A form's typed values kept in sessionStorage until saved: a dropped network, a reload or a
// tap on 返回 never loses what was typed. Never used for students' personal data.
import { ref, watch, type Ref } from 'vue'

const PREFIX = 'xa.draft.'

export function useDraft<T extends object>(key: string, initial: () => T): { value: Ref<T>; clear: () => void; restored: boolean } {
  let restored = false
  let start = initial()
  try {
    const s = globalThis.sessionStorage?.getItem(PREFIX + key)
    if (s) {
      start = { ...start, ...(JSON.parse(s) as Partial<T>) }
      restored = true
    }
  } catch {
    /* no storage: the draft lives in memory only */
  }
  const value = ref(start) as Ref<T>
  // Set by clear(): the reset to the initial values is not a draft worth keeping.
  let skip = false
  watch(
    value,
    (v) => {
      if (skip) {
        skip = false
        return
      }
      try {
        globalThis.sessionStorage?.setItem(PREFIX + key, JSON.stringify(v))
      } catch {
        /* a full storage only loses the copy */
      }
    },
    { deep: true },
  )
  function clear() {
    try {
      globalThis.sessionStorage?.removeItem(PREFIX + key)
    } catch {
      /* nothing kept */
    }
    skip = true
    value.value = initial()
  }
  return { value, clear, restored }
}

/** The API's field errors as messages per field, in the user's language. */
export function fieldMessages(
  errors: { field: string; code: string }[],
  t: (k: string) => string,
  te: (k: string) => boolean,
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of errors) {
    const k = `fieldErrors.${e.code}`
    out[e.field] ??= te(k) ? t(k) : t('fieldErrors.invalid')
  }
  return out
}
