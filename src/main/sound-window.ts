// The hidden audio window behind SoundSink. Loaded once at start; play() only sends an IPC message, so an
// alert never waits for audio. Recreated on renderer crash.
import { BrowserWindow } from 'electron'
import type { Logger } from '../core/ports.js'
import type { SoundName } from '../shared/ipc.js'
import type { SoundPlayer } from './sound-sink.js'
import { push } from './typed-ipc.js'
import { SOUND_URL, soundWindowOptions } from './windows.js'

export class SoundWindow implements SoundPlayer {
  private win: BrowserWindow | null = null
  private ready = false

  constructor(
    private readonly preload: string,
    private readonly isPackaged: boolean,
    private readonly log: Logger,
  ) {}

  open(): void {
    const win = new BrowserWindow(soundWindowOptions(this.preload, this.isPackaged))
    this.win = win
    this.ready = false
    win.webContents.on('did-finish-load', () => {
      this.ready = true
    })
    win.webContents.on('render-process-gone', (_e, details) => {
      this.log.warn('sound window renderer gone; recreating', { reason: details.reason })
      this.ready = false
      if (!win.isDestroyed()) win.destroy()
      if (this.win === win) this.open()
    })
    void win.loadURL(SOUND_URL)
  }

  play(sound: SoundName): boolean {
    const win = this.win
    if (!win || win.isDestroyed() || !this.ready) return false
    push(win.webContents, 'sound:play', sound)
    return true
  }

  close(): void {
    const win = this.win
    this.win = null
    if (win && !win.isDestroyed()) win.destroy()
  }
}
