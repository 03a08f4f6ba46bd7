// The hidden sound window's page: plays app://bundle/sounds/<name>.wav when the main process says so.
// Only names from the contract are accepted; the element is reused so repeated alerts restart the chime.
// A play request with a nonce (the Test alert) is answered: audio.play() resolving means playback started;
// its rejection (no output device, autoplay refused, a missing file) is reported with the reason.
import { SOUND_NAMES, type SoundName } from '../shared/ipc.js'

const players = new Map<SoundName, HTMLAudioElement>()

function play(name: SoundName, volume: number, nonce?: string): void {
  const report = (ok: boolean, error: string | null) => {
    if (nonce) void window.bayalertSound?.reportPlayed?.({ nonce, ok, error: error === null ? null : error.slice(0, 300) }).catch(() => {}) // a lost answer reads as 'unproven' in main after its deadline
  }
  if (!(SOUND_NAMES as readonly string[]).includes(name)) return report(false, 'unknown sound name')
  let audio = players.get(name)
  if (!audio) {
    audio = new Audio(`./sounds/${name}.wav`)
    audio.preload = 'auto'
    players.set(name, audio)
  }
  // A volume that is not a number in [0.1, 1] plays at full volume: a bad message must never mute an alert.
  audio.volume = typeof volume === 'number' && volume >= 0.1 && volume <= 1 ? volume : 1
  audio.currentTime = 0
  void audio.play().then(
    () => report(true, null),
    (err: unknown) => {
      console.warn('sound failed', String(err))
      report(false, String(err))
    },
  )
}

window.bayalertSound?.onPlay(play)
