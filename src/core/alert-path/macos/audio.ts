// macOS audio output: `osascript -e 'get volume settings'` reports "output volume:50, input volume:…,
// alert volume:100, output muted:false" (AppleScript StandardAdditions). Muted or zero output volume makes
// alert sounds silent; "missing value" for both means no output device that takes a volume.
import { firstLine, notAnswered, type Detector, type Finding } from '../types.js'
import { MUTED } from '../linux/audio.js'

const NO_OUTPUT: Finding = {
  id: 'no-audio-output',
  affects: 'sound',
  reason: 'No sound output device with a volume: alert sounds may not play (check the output in System Settings → Sound).',
}

export const macAudioDetector: Detector = {
  name: 'macos: audio output',
  async detect(os) {
    const r = await os.run('osascript', ['-e', 'get volume settings'])
    const not = notAnswered('osascript', r)
    if (not) return { findings: [], unknown: not }
    if (r.kind === 'failed') return { findings: [], unknown: `osascript failed (${firstLine(r.stderr) || `exit ${r.code}`})` }
    if (r.kind !== 'ok') return { findings: [], unknown: 'osascript gave no answer' }
    const vol = /output volume:\s*(missing value|\d+)/.exec(r.stdout)
    const muted = /output muted:\s*(missing value|true|false)/.exec(r.stdout)
    if (!vol || !muted) return { findings: [], unknown: `unreadable volume settings (${firstLine(r.stdout, 60)})` }
    if (vol[1] === 'missing value' && muted[1] === 'missing value') return { findings: [NO_OUTPUT] }
    if (muted[1] === 'true' || vol[1] === '0') return { findings: [MUTED] }
    return { findings: [] }
  },
}
