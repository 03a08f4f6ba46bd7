// The hidden sound window's page: plays app://bundle/sounds/<name>.wav when the main process says so.
// Only names from the contract are accepted; the element is reused so repeated alerts restart the chime.
import { SOUND_NAMES, type SoundName } from '../shared/ipc.js'

const players = new Map<SoundName, HTMLAudioElement>()

function play(name: SoundName, volume: number): void {
  if (!(SOUND_NAMES as readonly string[]).includes(name)) return
  let audio = players.get(name)
  if (!audio) {
    audio = new Audio(`./sounds/${name}.wav`)
    audio.preload = 'auto'
    players.set(name, audio)
  }
  // A volume that is not a number in [0.1, 1] plays at full volume: a bad message must never mute an alert.
  audio.volume = typeof volume === 'number' && volume >= 0.1 && volume <= 1 ? volume : 1
  audio.currentTime = 0
  void audio.play().catch((err: unknown) => console.warn('sound failed', String(err)))
}

window.bayalertSound?.onPlay(play)
