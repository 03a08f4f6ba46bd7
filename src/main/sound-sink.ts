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
}

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
    const prefs = this.opts.prefs?.() ?? DEFAULT_ALERT_PREFS
    if (!this.opts.player.play(soundFor(alert, prefs.sound), volumeFor(prefs.volume))) shell.beep()
  }

  /** The settings' "Test": the chosen sound at the chosen volume, whether or not sound is on. */
  test(): boolean {
    const prefs = this.opts.prefs?.() ?? DEFAULT_ALERT_PREFS
    return this.opts.player.play(prefs.sound, volumeFor(prefs.volume))
  }
}
