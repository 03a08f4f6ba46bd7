// Pure text helpers for the queue view. Output is always set with textContent, never parsed as HTML.
import { LINK_STATE_LABEL, type LinkStateName, type PauseUntil, type QueueItem } from '../shared/types.js'

export const EXCERPT_MAX = 240

export function stateText(state: LinkStateName): string {
  return LINK_STATE_LABEL[state] ?? 'Unknown'
}

// Explicit bidi embeddings/overrides/isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI). A customer can use
// RLO to make "gnp.exe" read as "exe.png"; dropping them shows the text in its real logical order, and the
// Unicode bidi algorithm still lays out genuine Arabic or Hebrew names correctly without them.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/** A short customer string (name, vehicle) made safe to display: no controls, capped length. */
export function safeLine(text: string | null, max = 200): string {
  return clip(text, max, false)
}

/** Drops C0/C1 controls (keeps newlines as spaces) and cuts to `max` code points. */
export function excerpt(text: string | null, max = EXCERPT_MAX): string {
  return clip(text, max, true)
}

/** Cleans and caps to `max` code points; `markHeadCut`: an input longer than the scanned head gets the … too. */
function clip(text: string | null, max: number, markHeadCut: boolean): string {
  if (!text) return ''
  // Look only at the head of a very long string: a 1 MB concern must not cost a full scan per render.
  const head = text.length > max * 4 ? text.slice(0, max * 4) : text
  const clean = head.replace(BIDI_CONTROLS, '').replace(CONTROLS, '').replace(/\s+/g, ' ').trim()
  const chars = Array.from(clean)
  return chars.length > max || (markHeadCut && head.length < text.length) ? `${chars.slice(0, max - 1).join('')}…` : clean
}

export { waitingSince } from '../shared/urgency.js'

export function waitingText(since: number, now: number): string {
  const s = Math.max(0, Math.floor((now - since) / 1000))
  if (s < 60) return 'waiting < 1 min'
  const m = Math.floor(s / 60)
  if (m < 60) return `waiting ${m} min`
  const h = Math.floor(m / 60)
  return `waiting ${h} h ${m % 60} min`
}

/** "14:05": a pause's end in the workstation's local time, 24-hour, whatever the page's locale. */
export function clockTime(at: number): string {
  const d = new Date(at)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

/** The pause bar's sentence. Paused states name when alerts come back, because a paused workstation is silent. */
export function pauseText(paused: PauseUntil, now: number): string {
  if (paused === null) return 'Alerts on'
  if (paused === 'indefinite') return 'Alerts paused until you resume'
  const mins = Math.max(1, Math.ceil((paused - now) / 60_000))
  return `Alerts paused until ${clockTime(paused)} (${mins} min left)`
}

/**
 * What a card says about missing details: nothing once they are known; "details loading…" only while the
 * link is up or coming up (the engine is fetching them); otherwise why they are not coming.
 */
export function detailText(detail: QueueItem['detail'], link: LinkStateName): string | null {
  if (detail === 'full') return null
  if (link === 'live' || link === 'connecting') return 'details loading…'
  return `details not available (${stateText(link).toLowerCase()})`
}
