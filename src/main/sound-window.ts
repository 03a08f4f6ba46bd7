// The hidden audio window behind SoundSink. Loaded once at start; play() only sends an IPC message, so an
// alert never waits for audio. Recreated on renderer crash, within a restart budget (a renderer that
// dies on every load must not spin); while it is down, SoundSink falls back to the system beep.
import { BrowserWindow } from 'electron'
import type { Logger } from '../core/ports.js'
import type { SoundName } from '../shared/ipc.js'
import { RestartBudget } from './restart-budget.js'
import type { SoundPlayer } from './sound-sink.js'
import { push } from './typed-ipc.js'
import { SOUND_URL, soundWindowOptions } from './windows.js'

export class SoundWindow implements SoundPlayer {
  private win: BrowserWindow | null = null
  private ready = false
  /** Down after repeated crashes: the next play() once the budget allows brings it back. */
  private crashedOut = false

  constructor(
    private readonly preload: string,
    private readonly isPackaged: boolean,
    private readonly log: Logger,
    private readonly budget: RestartBudget = new RestartBudget(),
    /** The renderer kept dying and the budget is spent: surface it (health, tray). */
    private readonly onGaveUp?: (reason: string) => void,
  ) {}

  open(): void {
    this.crashedOut = false
    const win = new BrowserWindow(soundWindowOptions(this.preload, this.isPackaged))
    this.win = win
    this.ready = false
    win.webContents.on('did-finish-load', () => {
      this.ready = true
    })
    win.webContents.on('render-process-gone', (_e, details) => {
      this.ready = false
      if (!win.isDestroyed()) win.destroy()
      if (this.win !== win) return // closed on purpose
      if (this.budget.take()) {
        this.log.warn('sound window renderer gone; recreating', { reason: details.reason, restarts: this.budget.used() })
        this.open()
      } else {
        this.win = null
        this.crashedOut = true
        this.log.error('sound window renderer gone again; restart budget spent, alerts use the system beep', { reason: details.reason })
        this.onGaveUp?.(`The sound player keeps crashing (${details.reason}); alerts use the system beep until it can be started again.`)
      }
    })
    void win.loadURL(SOUND_URL)
  }

  play(sound: SoundName, volume = 1): boolean {
    if (this.crashedOut && this.budget.take()) {
      this.crashedOut = false
      this.log.info('sound window: starting it again after the restart pause')
      this.open()
    }
    const win = this.win
    if (!win || win.isDestroyed() || !this.ready) return false
    push(win.webContents, 'sound:play', sound, volume)
    return true
  }

  close(): void {
    const win = this.win
    this.win = null
    if (win && !win.isDestroyed()) win.destroy()
  }
}
