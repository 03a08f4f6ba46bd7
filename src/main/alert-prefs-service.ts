// The alert preferences (src/shared/alert-prefs.ts) on disk: read field by field at start (a bad value gets
// its default and is named, never a silenced alert), saved only when every field passes, and announced to
// whoever applies them (the sound sink reads them per alert; the engine's repeat interval and the windows'
// urgency colours follow the change).
import { alertPrefsFieldProblem, checkAlertPrefs, DEFAULT_ALERT_PREFS, loadAlertPrefs, type AlertPrefs, type AlertPrefsField, type AlertPrefsProblems } from '../shared/alert-prefs.js'
import type { AlertPrefsView } from '../shared/ipc.js'
import type { KeyValueStore } from './settings.js'

const KEY = 'alertPrefs'

export class AlertPrefsService {
  private current: { prefs: AlertPrefs; problems: string[] }
  private readonly listeners = new Set<(view: AlertPrefsView) => void>()

  private readonly defaults: AlertPrefs

  /**
   * `provisionedRepeatSec`: the administrator's repeat interval (provisioning file), the default under the
   * mechanic's own choice; ignored when outside the preference's range.
   */
  constructor(
    private readonly store: KeyValueStore,
    provisionedRepeatSec?: number,
  ) {
    this.defaults = { ...DEFAULT_ALERT_PREFS }
    if (provisionedRepeatSec !== undefined && alertPrefsFieldProblem('repeatIntervalSec', provisionedRepeatSec) === null) this.defaults.repeatIntervalSec = provisionedRepeatSec
    this.current = loadAlertPrefs(store.get(KEY), this.defaults)
  }

  get(): AlertPrefs {
    return this.current.prefs
  }

  view(): AlertPrefsView {
    return { prefs: { ...this.current.prefs }, problems: [...this.current.problems] }
  }

  save(input: unknown): { ok: true; view: AlertPrefsView } | { ok: false; fields: AlertPrefsProblems } {
    const r = checkAlertPrefs(input)
    if (!r.ok) return r
    // Only what differs from the defaults is stored, so a value left alone keeps following the administrator's.
    const stored: Partial<AlertPrefs> = {}
    for (const f of Object.keys(r.prefs) as AlertPrefsField[]) if (r.prefs[f] !== this.defaults[f]) Object.assign(stored, { [f]: r.prefs[f] })
    this.store.set(KEY, stored)
    this.current = { prefs: r.prefs, problems: [] }
    const view = this.view()
    for (const l of this.listeners) l(view)
    return { ok: true, view }
  }

  onChange(listener: (view: AlertPrefsView) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
