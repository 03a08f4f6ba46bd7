// The words of the workstation watch, one place for every view (status bar, queue window list, wallboard,
// headless terminal), so the shop screen and a workstation never word the same fact differently.
import type { WorkstationWatch } from './types.js'

/** "3 of 4 workstations live". */
export function liveText(w: Pick<WorkstationWatch, 'live' | 'total'>): string {
  return `${w.live} of ${w.total} workstation${w.total === 1 ? '' : 's'} live`
}

/** "10:42" in this machine's time zone. */
export function clockTime(epochMs: number): string {
  const d = new Date(epochMs)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

/** "Bay 3 silent since 10:42". */
export function silentText(s: { name: string; since: number }): string {
  return `${s.name} silent since ${clockTime(s.since)}`
}

/** The whole watch on one line: "2 of 3 workstations live — Bay 3 silent since 10:42". */
export function watchLine(w: WorkstationWatch): string {
  return w.silent.length ? `${liveText(w)} — ${w.silent.map(silentText).join(', ')}` : liveText(w)
}
