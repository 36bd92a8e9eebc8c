import 'vue-router'
import type { Tab } from './tabs'
import type { Role } from '../stores/auth'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    roles?: Role[]
    tabs?: Tab[]
    titleKey?: string
    back?: boolean
    bare?: boolean
  }
}
export {}
