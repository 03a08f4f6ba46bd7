// The hidden audio window behind SoundSink. Loaded once at start; play() only sends an IPC message, so an
// alert never waits for audio. Recreated on renderer crash, within a restart budget (a renderer that
// dies on every load must not spin); while it is down, SoundSink falls back to the system beep.
import { BrowserWindow } from 'electron'
import { randomUUID } from 'node:crypto'
import type { DeliveryProof } from '../core/alert-path/test-alert.js'
import type { Logger } from '../core/ports.js'
import type { SoundName, SoundPlayedReport } from '../shared/ipc.js'
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

  /** Play requests waiting for the page's 'sound:played' answer, by nonce. */
  private readonly awaiting = new Map<string, (r: SoundPlayedReport) => void>()

  /**
   * The Test alert's sound proof: play (the mechanic's chosen sound and volume) and wait for the page to say
   * playback started (or why it could not).
   * The deadline is the caller's (runTestAlert); the waiter is dropped when the answer comes.
   */
  proof(choice: () => { sound: SoundName; volume: number } = () => ({ sound: 'request', volume: 1 })): DeliveryProof {
    return {
      sink: 'sound',
      prove: () => {
        const nonce = randomUUID()
        const answered = new Promise<SoundPlayedReport>((resolve) => this.awaiting.set(nonce, resolve))
        if (this.crashedOut && this.budget.take()) {
          this.crashedOut = false
          this.open()
        }
        const win = this.win
        if (!win || win.isDestroyed() || !this.ready) {
          this.awaiting.delete(nonce)
          return Promise.resolve({ outcome: 'failed' as const, detail: 'the sound player is not running; alerts fall back to the system beep' })
        }
        const { sound, volume } = choice()
        push(win.webContents, 'sound:play', sound, volume, nonce)
        return answered.then((r) =>
          r.ok ? { outcome: 'delivered' as const, detail: 'the sound page reports it played' } : { outcome: 'failed' as const, detail: `the sound did not play: ${r.error ?? 'no reason given'}` },
        )
      },
    }
  }

  /** The page's answer on 'sound:played'. An answer nobody waits for (late, or forged) is ignored. */
  onPlayed(report: SoundPlayedReport): void {
    const waiter = this.awaiting.get(report.nonce)
    if (!waiter) return
    this.awaiting.delete(report.nonce)
    if (!report.ok) this.log.warn('sound window: a test sound did not play', { error: report.error })
    waiter(report)
  }

  close(): void {
    const win = this.win
    this.win = null
    if (win && !win.isDestroyed()) win.destroy()
  }
}
