import 'vue-router'
import type { Tab } from './tabs'
import type { Role } from '../stores/auth'
import type { Operation } from './access'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    roles?: Role[]
    tabs?: Tab[]
    titleKey?: string
    back?: boolean
    bare?: boolean
    /** The operation the page loads: the page exists only for roles that may call it. */
    needs?: Operation
  }
}
export {}
