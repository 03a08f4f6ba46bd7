// The mechanic's alert preferences: which sound and how loud, how often an unanswered request repeats, when
// a wait turns amber and red, and the shop's dashboard link. Pure data and pure rules, shared by the main
// process (which stores and applies them) and the queue window (which shows each problem next to its
// field while the mechanic types): one rule set, so the form and the store cannot disagree. No zod here —
// this file is compiled into the renderer bundle; the IPC layer checks only the shape (ipc-schemas.ts).

/** The bundled request sounds (resources/sounds/<name>.wav, made by resources/generate.mjs). */
export const REQUEST_SOUNDS = ['request', 'bell', 'pulse'] as const
export type RequestSound = (typeof REQUEST_SOUNDS)[number]
export const REQUEST_SOUND_LABEL: Readonly<Record<RequestSound, string>> = { request: 'Chime', bell: 'Bell', pulse: 'Pulse' }

export interface AlertPrefs {
  sound: RequestSound
  /** Percent, 10–100: 0 would be "sound off", which is its own setting. */
  volume: number
  /** An unacknowledged request rings again after this many seconds. */
  repeatIntervalSec: number
  /** A wait turns amber / red after this many minutes (amber before red). */
  amberAfterMin: number
  redAfterMin: number
  /** '' or an https URL with `{requestId}` where the request's id goes ("Open in dashboard"). */
  dashboardUrl: string
}

export type AlertPrefsField = keyof AlertPrefs
export type AlertPrefsProblems = Partial<Record<AlertPrefsField, string>>

export const DEFAULT_ALERT_PREFS: Readonly<AlertPrefs> = Object.freeze({
  sound: 'request',
  volume: 80,
  repeatIntervalSec: 120,
  amberAfterMin: 2,
  redAfterMin: 5,
  dashboardUrl: '',
})

export const ALERT_PREFS_LIMITS = {
  volume: { min: 10, max: 100 },
  // Under 30 s a repeat lands on top of the last one's sound; over 30 min it is no longer a reminder.
  repeatIntervalSec: { min: 30, max: 1800 },
  amberAfterMin: { min: 1, max: 60 },
  redAfterMin: { min: 2, max: 240 },
  dashboardUrl: { max: 2048 },
} as const

export const DASHBOARD_PLACEHOLDER = '{requestId}'

const intIn = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max

/** One sentence for the dashboard URL field, or null ('' is fine: no dashboard). */
export function dashboardUrlProblem(v: unknown): string | null {
  if (v === '') return null
  if (typeof v !== 'string') return 'The dashboard link must be text.'
  if (v.length > ALERT_PREFS_LIMITS.dashboardUrl.max) return `The dashboard link is longer than ${ALERT_PREFS_LIMITS.dashboardUrl.max} characters.`
  if (!v.includes(DASHBOARD_PLACEHOLDER)) return `The dashboard link needs ${DASHBOARD_PLACEHOLDER} where the request goes, e.g. https://shop.example/requests/${DASHBOARD_PLACEHOLDER}.`
  let url: URL
  let other: URL
  try {
    url = new URL(v.replaceAll(DASHBOARD_PLACEHOLDER, 'x'))
    other = new URL(v.replaceAll(DASHBOARD_PLACEHOLDER, 'y'))
  } catch {
    return 'The dashboard link is not a valid URL.'
  }
  if (url.protocol !== 'https:') return 'The dashboard link must start with https://.'
  if (url.username || url.password || other.username || other.password) return 'The dashboard link must not contain a user name or password.'
  // The request id may only fill the path or query: a host that changes with it would let an id pick the site.
  if (!url.hostname || url.host !== other.host) return 'The dashboard link needs a fixed host name; put {requestId} in the path or query.'
  return null
}

/** One sentence for one field's value on its own, or null (the amber/red order is checked over both). */
export function alertPrefsFieldProblem(field: AlertPrefsField, v: unknown): string | null {
  const L = ALERT_PREFS_LIMITS
  switch (field) {
    case 'sound':
      return (REQUEST_SOUNDS as readonly unknown[]).includes(v) ? null : `Choose one of the sounds: ${REQUEST_SOUNDS.map((s) => REQUEST_SOUND_LABEL[s]).join(', ')}.`
    case 'volume':
      return intIn(v, L.volume.min, L.volume.max) ? null : `Volume is a whole number from ${L.volume.min} to ${L.volume.max} %.`
    case 'repeatIntervalSec':
      return intIn(v, L.repeatIntervalSec.min, L.repeatIntervalSec.max) ? null : `Repeat every ${L.repeatIntervalSec.min} to ${L.repeatIntervalSec.max} seconds (a whole number).`
    case 'amberAfterMin':
      return intIn(v, L.amberAfterMin.min, L.amberAfterMin.max) ? null : `Amber after ${L.amberAfterMin.min} to ${L.amberAfterMin.max} minutes (a whole number).`
    case 'redAfterMin':
      return intIn(v, L.redAfterMin.min, L.redAfterMin.max) ? null : `Red after ${L.redAfterMin.min} to ${L.redAfterMin.max} minutes (a whole number).`
    case 'dashboardUrl':
      return dashboardUrlProblem(typeof v === 'string' ? v.trim() : v)
  }
}

const RED_AFTER_AMBER = 'Red must come after amber: use more minutes than for amber.'

/**
 * Judges a whole set of preferences: the preferences (dashboard link trimmed), or every field's problem.
 * Unknown keys are ignored here (the IPC schema refuses them before this runs).
 */
export function checkAlertPrefs(input: unknown): { ok: true; prefs: AlertPrefs } | { ok: false; fields: AlertPrefsProblems } {
  const o = input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {}
  const fields: AlertPrefsProblems = {}
  for (const field of Object.keys(DEFAULT_ALERT_PREFS) as AlertPrefsField[]) {
    const problem = alertPrefsFieldProblem(field, o[field])
    if (problem) fields[field] = problem
  }
  if (!fields.amberAfterMin && !fields.redAfterMin && (o.redAfterMin as number) <= (o.amberAfterMin as number)) fields.redAfterMin = RED_AFTER_AMBER
  if (Object.keys(fields).length > 0) return { ok: false, fields }
  return {
    ok: true,
    prefs: {
      sound: o.sound as RequestSound,
      volume: o.volume as number,
      repeatIntervalSec: o.repeatIntervalSec as number,
      amberAfterMin: o.amberAfterMin as number,
      redAfterMin: o.redAfterMin as number,
      dashboardUrl: (o.dashboardUrl as string).trim(),
    },
  }
}

/**
 * Reads stored preferences field by field: a good value is kept, a bad or missing one gets the default (a
 * broken file never silences or disables anything), and each replaced value is named.
 */
export function loadAlertPrefs(raw: unknown, defaults: Readonly<AlertPrefs> = DEFAULT_ALERT_PREFS): { prefs: AlertPrefs; problems: string[] } {
  const o = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
  const problems: string[] = []
  if (raw !== undefined && raw !== null && o !== raw) problems.push('Saved alert preferences were not an object; the defaults are used.')
  const prefs: AlertPrefs = { ...defaults }
  for (const field of Object.keys(DEFAULT_ALERT_PREFS) as AlertPrefsField[]) {
    if (o[field] === undefined) continue
    const problem = alertPrefsFieldProblem(field, o[field])
    if (problem) problems.push(`Saved ${field} was not usable (${problem}) The default is used.`)
    else Object.assign(prefs, { [field]: typeof o[field] === 'string' ? (o[field] as string).trim() : o[field] })
  }
  // amber and red may each be fine alone and wrong together: fall back to both defaults.
  if (prefs.redAfterMin <= prefs.amberAfterMin) {
    problems.push('Saved urgency thresholds had red before amber; the defaults are used.')
    prefs.amberAfterMin = defaults.amberAfterMin
    prefs.redAfterMin = defaults.redAfterMin
  }
  return { prefs, problems }
}

/** The urgency thresholds (src/shared/urgency.ts) these preferences set. */
export function urgencyThresholds(p: Pick<AlertPrefs, 'amberAfterMin' | 'redAfterMin'>): { amberAfterMs: number; redAfterMs: number } {
  return { amberAfterMs: p.amberAfterMin * 60_000, redAfterMs: p.redAfterMin * 60_000 }
}
