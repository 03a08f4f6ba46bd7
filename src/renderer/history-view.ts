// The History panel of the queue window: the last day's requests, read from the engine when the panel opens, on
// Refresh, and again (at most every 2 s) while it is open and the queue moves. Text only, through textContent.
import type { BayAlertApi } from '../shared/types.js'
import { historyRows } from './history-model.js'

const REFRESH_MIN_MS = 2000

export interface HistoryPanel {
  /** A snapshot arrived: an open panel reads the history again (throttled). */
  changed(): void
}

export function wireHistory(api: BayAlertApi, panel: HTMLDetailsElement): HistoryPanel {
  const getHistory = api.getHistory?.bind(api)
  if (!getHistory) return { changed() {} } // a host without history: the panel stays hidden
  panel.hidden = false
  const list = panel.querySelector('ol')!
  const status = panel.querySelector<HTMLElement>('.history-status')!
  let lastLoad = 0
  let pending: number | undefined

  async function load(): Promise<void> {
    lastLoad = Date.now()
    try {
      const rows = historyRows(await getHistory!())
      list.replaceChildren(
        ...rows.map((r) => {
          const li = document.createElement('li')
          li.dataset.requestId = r.requestId
          const head = document.createElement('div')
          const who = document.createElement('strong')
          who.className = 'iso'
          who.dir = 'auto'
          who.textContent = r.who
          const time = document.createElement('span')
          time.className = 'history-time'
          time.textContent = r.time
          head.append(who, ' ', time)
          const line = (cls: string, text: string) => {
            const p = document.createElement('p')
            p.className = cls
            p.textContent = text
            return p
          }
          li.append(head, line('history-outcome', r.outcome), line('history-ring', `${r.ring} · ${r.source}`), line('history-sinks', r.sinks))
          return li
        }),
      )
      status.textContent = rows.length === 0 ? 'No requests in the last 24 hours.' : `${rows.length} in the last 24 hours`
    } catch (err) {
      status.textContent = `Could not load the history: ${err instanceof Error ? err.message : String(err)}`
    }
  }

  panel.addEventListener('toggle', () => {
    if (panel.open) void load()
  })
  panel.querySelector('button.history-refresh')?.addEventListener('click', () => void load())
  return {
    changed() {
      if (!panel.open || pending !== undefined) return
      pending = window.setTimeout(() => {
        pending = undefined
        void load()
      }, Math.max(0, lastLoad + REFRESH_MIN_MS - Date.now()))
    },
  }
}
