// AlertSink → sound. The main process has no audio API, so a hidden window (sound-window.ts) plays
// resources/sounds/*.wav when told over IPC; if that window is not ready (still loading, crashed) we fall
// back to shell.beep() so an alert is never silent because of the player.
import { shell } from 'electron'
import type { Alert, AlertSink } from '../core/ports.js'
import type { SoundName } from '../shared/ipc.js'
import { DEFAULT_ALERT_PREFS, type AlertPrefs } from '../shared/alert-prefs.js'

export interface SoundPlayer {
  /** False when it could not even try (window missing or not loaded). `volume` is 0.1–1. */
  play(sound: SoundName, volume: number): boolean
}

export interface SoundSinkOptions {
  player: SoundPlayer
  /** The user's "sound on/off" setting; the mech_audio_alerts flag is applied by the engine. */
  enabled: () => boolean
  /** The mechanic's chosen request sound and volume (alert preferences). */
  prefs?: () => Pick<AlertPrefs, 'sound' | 'volume'>
  /** Timer for the later chimes of an escalated alert (default setTimeout). */
  later?: (fn: () => void, ms: number) => void
}

/**
 * An escalated alert (too few workstations live, a customer waiting long) is louder: full volume whatever the
 * mechanic chose, and the sound ESCALATED_CHIMES times, ESCALATED_GAP_MS apart, where an ordinary alert plays it once
 * — more of it is what a noisy bay notices.
 */
export const ESCALATED_CHIMES = 3
export const ESCALATED_GAP_MS = 700

/** Health alerts keep their own sound whatever the choice: "the link is down" must never sound like a customer. */
export function soundFor(alert: Alert, chosen: AlertPrefs['sound'] = DEFAULT_ALERT_PREFS.sound): SoundName {
  return alert.kind === 'health' ? 'health' : chosen
}

/** 10–100 % → 0.1–1, clamped (a bad stored value never mutes an alert). */
export function volumeFor(percent: number): number {
  return Number.isFinite(percent) ? Math.min(1, Math.max(0.1, percent / 100)) : 1
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

  /** The settings' "Test": the chosen sound at the chosen volume, whether or not sound is on. */
  test(): boolean {
    const prefs = this.opts.prefs?.() ?? DEFAULT_ALERT_PREFS
    return this.opts.player.play(prefs.sound, volumeFor(prefs.volume))
  }

  private chime(alert: Alert): void {
    const prefs = this.opts.prefs?.() ?? DEFAULT_ALERT_PREFS
    const volume = alert.escalated ? 1 : volumeFor(prefs.volume)
    if (!this.opts.player.play(soundFor(alert, prefs.sound), volume)) shell.beep()
  }
}
