// The "taken by" notices as a list (queue window and wallboard): one item each, text only, the names
// bidi-isolated like every customer string. The engine drops a notice after a few seconds; the next snapshot
// removes its line here.
import type { TakenNotice } from '../shared/types.js'
import { takenLine } from './taken-model.js'

export function renderTaken(list: HTMLElement, notices: readonly TakenNotice[] | undefined): void {
  const items = (notices ?? []).map((n) => {
    const li = document.createElement('li')
    li.className = 'taken-item'
    li.dataset.requestId = n.requestId
    li.dir = 'auto'
    li.textContent = takenLine(n)
    return li
  })
  list.replaceChildren(...items)
  list.hidden = items.length === 0
}
