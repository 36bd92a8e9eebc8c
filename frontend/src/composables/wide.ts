// The desk layout (side menu, tables, a record beside the list) is for screens at least 1024 px
// wide; below that the same pages keep the phone layout.
import { onScopeDispose, ref } from 'vue'

export const WIDE_QUERY = '(min-width: 1024px)'

export function useWide() {
  const mq = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(WIDE_QUERY) : null
  const wide = ref(!!mq?.matches)
  const on = (e: MediaQueryListEvent) => (wide.value = e.matches)
  mq?.addEventListener?.('change', on)
  onScopeDispose(() => mq?.removeEventListener?.('change', on))
  return wide
}
