// The outbox panel of the queue window: each Take it saved while the link was down, then how it ended (taken,
// taken by someone else meanwhile, cancelled). Keyed by the claim's idempotency key, patched in place like the cards.
import type { OutboxEntry } from '../shared/types.js'
import { outboxHeading, outboxLines } from './outbox-model.js'

export function renderOutbox(section: HTMLElement, entries: readonly OutboxEntry[] | undefined): void {
  const lines = outboxLines(entries)
  section.hidden = lines.length === 0
  const heading = section.querySelector('h2')
  if (heading && heading.textContent !== outboxHeading(entries)) heading.textContent = outboxHeading(entries)
  const list = section.querySelector('ul')
  if (!list) return
  const existing = new Map([...list.children].map((li) => [(li as HTMLElement).dataset.key ?? '', li as HTMLElement]))
  const rows = lines.map((line) => {
    const li = existing.get(line.key) ?? document.createElement('li')
    li.dataset.key = line.key
    li.dataset.state = line.state
    let name = li.querySelector('strong')
    let text = li.querySelector('span')
    if (!name || !text) {
      name = document.createElement('strong')
      name.className = 'iso'
      name.dir = 'auto'
      text = document.createElement('span')
      li.replaceChildren(name, ' ', text)
    }
    if (name.textContent !== line.who) name.textContent = line.who
    if (text.textContent !== line.text) text.textContent = line.text
    return li
  })
  list.replaceChildren(...rows)
}
