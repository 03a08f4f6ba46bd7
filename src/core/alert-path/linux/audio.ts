// Linux audio output: muted, or no output device at all. PulseAudio and PipeWire's pulse server answer
// `pactl get-sink-mute @DEFAULT_SINK@` ("Mute: yes"); a PipeWire system without pactl answers
// `wpctl get-volume @DEFAULT_AUDIO_SINK@` ("Volume: 0.40 [MUTED]"). With no default sink both fail with a
// message naming the missing sink.
import { firstLine, notAnswered, type Detector, type DetectorResult, type Finding } from '../types.js'

export const MUTED: Finding = {
  id: 'audio-muted',
  affects: 'sound',
  reason: 'The sound output is muted (or at zero volume): alert sounds are silent.',
}
export const NO_OUTPUT: Finding = {
  id: 'no-audio-output',
  affects: 'sound',
  reason: 'No sound output device: alert sounds cannot play (plug in speakers or headphones).',
}

export const audioDetector: Detector = {
  name: 'linux: audio output',
  async detect(os) {
    const p = await os.run('pactl', ['get-sink-mute', '@DEFAULT_SINK@'])
    if (p.kind !== 'missing') return fromPactl(p)
    const w = await os.run('wpctl', ['get-volume', '@DEFAULT_AUDIO_SINK@'])
    if (w.kind === 'missing') return { findings: [], unknown: 'neither pactl nor wpctl is installed' }
    return fromWpctl(w)
  },
}

function fromPactl(r: Parameters<typeof notAnswered>[1]): DetectorResult {
  const not = notAnswered('pactl', r)
  if (not) return { findings: [], unknown: not }
  if (r.kind === 'failed') {
    if (/No such entity|No such sink|Failed to get sink/i.test(r.stderr)) return { findings: [NO_OUTPUT] }
    return { findings: [], unknown: `pactl failed (${firstLine(r.stderr) || `exit ${r.code}`})` }
  }
  if (r.kind !== 'ok') return { findings: [], unknown: 'pactl gave no answer' }
  const m = /^Mute:\s*(yes|no)\s*$/m.exec(r.stdout)
  if (!m) return { findings: [], unknown: `unreadable pactl answer (${firstLine(r.stdout, 60)})` }
  return { findings: m[1] === 'yes' ? [MUTED] : [] }
}

function fromWpctl(r: Parameters<typeof notAnswered>[1]): DetectorResult {
  const not = notAnswered('wpctl', r)
  if (not) return { findings: [], unknown: not }
  if (r.kind === 'failed') {
    if (/not a valid ID|Translate ID error|not found/i.test(`${r.stderr}${r.stdout}`)) return { findings: [NO_OUTPUT] }
    return { findings: [], unknown: `wpctl failed (${firstLine(r.stderr) || `exit ${r.code}`})` }
  }
  if (r.kind !== 'ok') return { findings: [], unknown: 'wpctl gave no answer' }
  const m = /^Volume:\s*([0-9]+(?:\.[0-9]+)?)(\s*\[MUTED\])?\s*$/m.exec(r.stdout)
  if (!m) return { findings: [], unknown: `unreadable wpctl answer (${firstLine(r.stdout, 60)})` }
  return { findings: m[2] || Number(m[1]) === 0 ? [MUTED] : [] }
}
