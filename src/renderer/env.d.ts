// Globals the preload (Electron) or the bridge script (headless loopback server) puts on window.
import type { BayAlertBridge, SoundName } from '../shared/ipc.js'

declare global {
  interface Window {
    bayalert: BayAlertBridge
    bayalertSound?: {
      onPlay(listener: (sound: SoundName, volume: number, nonce?: string) => void): () => void
      reportPlayed?(report: { nonce: string; ok: boolean; error: string | null }): Promise<void>
    }
  }
}
export {}
