// AlertSink → sound. The main process has no audio API, so a hidden window (sound-window.ts) plays
// resources/sounds/*.wav when told over IPC; if that window is not ready (still loading, crashed) we fall
// back to shell.beep() so an alert is never silent because of the player.
import { shell } from 'electron'
import type { Alert, AlertSink } from '../core/ports.js'
import type { SoundName } from '../shared/ipc.js'

export interface SoundPlayer {
  /** False when it could not even try (window missing or not loaded). */
  play(sound: SoundName): boolean
}

export interface SoundSinkOptions {
  player: SoundPlayer
  /** The user's "sound on/off" setting; the mech_audio_alerts flag is applied by the engine. */
  enabled: () => boolean
  /** Timer for the later chimes of an escalated alert (default setTimeout). */
  later?: (fn: () => void, ms: number) => void
}

/**
 * An escalated alert (too few workstations live, a customer waiting long) is louder: the chime plays
 * ESCALATED_CHIMES times, ESCALATED_GAP_MS apart, where an ordinary alert plays it once. The chime is already at
 * full volume, so "louder" is more of it, which a noisy bay notices.
 */
export const ESCALATED_CHIMES = 3
export const ESCALATED_GAP_MS = 700

export function soundFor(alert: Alert): SoundName {
  return alert.kind === 'health' ? 'health' : 'request'
}

export class SoundSink implements AlertSink {
  readonly name = 'sound'
  readonly tier = 'sound' as const
  constructor(private readonly opts: SoundSinkOptions) {}

  alert(alert: Alert): void {
    if (!this.opts.enabled()) return
    this.chime(alert)
    if (!alert.escalated) return
    const later = this.opts.later ?? ((fn, ms) => void setTimeout(fn, ms))
    for (let i = 1; i < ESCALATED_CHIMES; i++) later(() => this.chime(alert), i * ESCALATED_GAP_MS)
  }

  private chime(alert: Alert): void {
    if (!this.opts.player.play(soundFor(alert))) shell.beep()
  }
}
