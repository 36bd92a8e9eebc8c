// Feature areas present in the API this build was made against (see vite.config.ts).
export interface Features {
  gate: boolean
  inspections: boolean
  hazards: boolean
  visitors: boolean
  dashboard: boolean
  ledger: boolean
  health: boolean
  duty: boolean
  plans: boolean
  incidents: boolean
  rosters: boolean
  planTasks: boolean
  patrol: boolean
  platform: boolean
  assessment: boolean
  fire: boolean
  todo: boolean
  // Optional: a test fixture or build without them simply leaves their pages out.
  vehicles?: boolean
  articles?: boolean
}
declare const __FEATURES__: Features
export const features: Features = __FEATURES__
