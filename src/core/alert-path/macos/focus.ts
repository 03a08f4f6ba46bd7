// macOS Do Not Disturb / Focus. macOS 12+ keeps the manually switched-on Focus in
// ~/Library/DoNotDisturb/DB/Assertions.json (a non-empty data[0].storeAssertionRecords means a Focus is on;
// the approach of e.g. sindresorhus/do-not-disturb's successors and stretchly's dndManager). Focus started by
// a schedule is not in that file, so "ok" means "no manual Focus". macOS 11 and older answer
// `defaults -currentHost read com.apple.notificationcenterui doNotDisturb` (1 = on) instead.
import { join } from 'node:path'
import { firstLine, notAnswered, type Detector, type DetectorResult, type Finding, type OsQuery } from '../types.js'

const FOCUS_ON: Finding = {
  id: 'do-not-disturb',
  affects: 'notifications',
  reason: 'A macOS Focus (Do Not Disturb) is on: alerts show no banner — the queue window is brought to the front instead. Allow BayAlert in the Focus settings to keep banners.',
}

/** Assertions.json → on/off, or null when it is not the shape macOS writes. */
export function focusFromAssertions(text: string): boolean | null {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return null
  }
  const data = (parsed as { data?: unknown })?.data
  if (!Array.isArray(data)) return null
  if (data.length === 0) return false
  const records = (data[0] as { storeAssertionRecords?: unknown })?.storeAssertionRecords
  if (records === undefined) return false
  return Array.isArray(records) ? records.length > 0 : null
}

export const focusDetector: Detector = {
  name: 'macos: Focus / Do Not Disturb',
  async detect(os) {
    const home = os.env.HOME
    if (home) {
      let text: string | null
      try {
        text = await os.readText(join(home, 'Library', 'DoNotDisturb', 'DB', 'Assertions.json'))
      } catch (e) {
        // Newer macOS guards the folder (Full Disk Access): that is "cannot tell", said as such.
        return { findings: [], unknown: `the Focus state could not be read (${(e as Error).message})` }
      }
      if (text !== null) {
        const on = focusFromAssertions(text)
        if (on === null) return { findings: [], unknown: 'the Focus state file has an unknown shape' }
        return { findings: on ? [FOCUS_ON] : [] }
      }
    }
    return legacyDnd(os)
  },
}

async function legacyDnd(os: OsQuery): Promise<DetectorResult> {
  const r = await os.run('defaults', ['-currentHost', 'read', 'com.apple.notificationcenterui', 'doNotDisturb'])
  const not = notAnswered('defaults', r)
  if (not) return { findings: [], unknown: not }
  // "The domain/default pair … does not exist": never switched on.
  if (r.kind === 'failed') return /does not exist/i.test(r.stderr) ? { findings: [] } : { findings: [], unknown: `defaults failed (${firstLine(r.stderr) || `exit ${r.code}`})` }
  if (r.kind !== 'ok') return { findings: [], unknown: 'defaults gave no answer' }
  const v = r.stdout.trim()
  if (v === '1') return { findings: [FOCUS_ON] }
  if (v === '0') return { findings: [] }
  return { findings: [], unknown: `unreadable doNotDisturb value (${firstLine(v, 40)})` }
}
