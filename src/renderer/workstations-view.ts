// The workstation watch in the queue window and on the wallboard: "3 of 4 workstations live" (the silent ones named,
// "Bay 3 silent since 10:42") and, in the window, the list of every workstation. Names come from the shop's database
// (other workstations' ids and mechanics' names): text only, each bidi-isolated like customer strings.
import type { WorkstationEntry, WorkstationWatch } from '../shared/types.js'
import { clockTime, watchLine } from '../shared/workstations-text.js'

/** The one-line summary; empty (its slot kept, so nothing below moves) until a check-in told who is live. */
export function renderWatchLine(el: HTMLElement, w: WorkstationWatch | null | undefined): void {
  el.textContent = w ? watchLine(w) : ''
  el.dataset.silent = w && w.silent.length > 0 ? 'yes' : 'no'
}

function span(className: string, text: string): HTMLSpanElement {
  const s = document.createElement('span')
  s.className = className
  s.textContent = text
  return s
}

function entryItem(e: WorkstationEntry): HTMLLIElement {
  const li = document.createElement('li')
  li.className = 'ws-item'
  li.dataset.live = e.live ? 'yes' : 'no'
  const name = span('ws-name iso', e.name)
  name.dir = 'auto'
  li.append(name)
  if (e.mechanic) {
    const who = span('ws-mechanic iso', e.mechanic)
    who.dir = 'auto'
    li.append(who)
  }
  li.append(span('ws-state', e.live ? (e.state ?? 'live') : `silent since ${clockTime(e.lastSeen)}`))
  if (e.version) li.append(span('ws-version', `v${e.version}`))
  return li
}

/** The window's list: every workstation, live ones first; hidden while nothing is known. */
export function renderWatchList(section: HTMLElement, list: HTMLElement, w: WorkstationWatch | null | undefined): void {
  section.hidden = !w || w.total === 0
  list.replaceChildren(...(w?.list ?? []).map(entryItem))
}
