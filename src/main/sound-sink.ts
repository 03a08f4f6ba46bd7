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
}

export function soundFor(alert: Alert): SoundName {
  return alert.kind === 'health' ? 'health' : 'request'
}

export class SoundSink implements AlertSink {
  readonly name = 'sound'
  readonly tier = 'sound' as const
  constructor(private readonly opts: SoundSinkOptions) {}

  alert(alert: Alert): void {
    if (!this.opts.enabled()) return
    if (!this.opts.player.play(soundFor(alert))) shell.beep()
  }
}
