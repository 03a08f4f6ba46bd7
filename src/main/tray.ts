// The tray icon: adapts the engine's snapshot to one Tray (icon per link state, attention variant,
// tooltip, context menu). Linux notes: the icon may be invisible on vanilla GNOME without the
// AppIndicator extension (hovancik/stretchly#34), clicks may never arrive (electron/electron#6773), and
// every setImage makes the StatusNotifier host redraw (flicker, super-productivity#8484) — so the image is
// only set when the file actually changes, and the menu is re-set after every change because Linux ignores
// in-place edits.
import { Menu, Tray, nativeImage } from 'electron'
import { join } from 'node:path'
import { outageUnacknowledged, type EngineSnapshot } from '../shared/types.js'
import { longestWaitSince } from '../shared/urgency.js'
import { buildTrayMenuTemplate, iconState, tooltipFor, trayIconFile, type TrayActions, type TrayModel } from './tray-model.js'
import { watchLine } from '../shared/workstations-text.js'

/** How often the tooltip and menu re-check their minute counters. */
export const TICK_MS = 15_000

export interface TrayControllerOptions {
  iconDir: string
  platform: NodeJS.Platform
  actions: TrayActions
  loginItem: () => TrayModel['loginItem']
  now?: () => number
}

export class TrayController {
  private readonly tray: Tray
  private iconFile = ''
  private menuKey = ''
  private tooltip = ''
  private attention = false
  private readonly tick: ReturnType<typeof setInterval>
  private model: TrayModel = {
    state: 'signed-out',
    reason: 'Starting…',
    paused: null,
    waiting: 0,
    longestWaitSince: null,
    unacknowledged: 0,
    signedIn: false,
    loginItem: { supported: false, enabled: false },
    alertPathWarning: null,
  }

  constructor(private readonly opts: TrayControllerOptions) {
    const file = trayIconFile('signed-out', false, opts.platform)
    this.tray = new Tray(nativeImage.createFromPath(join(opts.iconDir, file)))
    this.iconFile = file
    // 'click' is "activation" and may be a double click or never fire on Linux; the menu covers it.
    this.tray.on('click', () => opts.actions.showQueue())
    this.render()
    // The tooltip's longest wait and the pause label count minutes while no snapshot may arrive (a quiet
    // queue): re-render on a tick; render() only touches the tray when a text really changed.
    this.tick = setInterval(() => this.render(), TICK_MS)
    this.tick.unref?.()
  }

  update(snapshot: EngineSnapshot): void {
    this.model = {
      state: snapshot.link.state,
      reason: snapshot.link.reason,
      paused: snapshot.paused,
      waiting: snapshot.queue.length,
      longestWaitSince: longestWaitSince(snapshot.queue),
      // The not-receiving reminder counts too: "Acknowledge all" is how the tray silences it.
      unacknowledged: snapshot.queue.filter((q) => !q.acknowledged).length + (outageUnacknowledged(snapshot.outage) ? 1 : 0),
      signedIn: snapshot.user !== null,
      loginItem: this.opts.loginItem(),
      workstations: snapshot.workstations ? watchLine(snapshot.workstations) : null,
      alertPathWarning: this.model.alertPathWarning,
    }
    this.render()
  }

  /** The alert-path self-test's warning (its reasons), or null when nothing swallows alerts: the warning state. */
  setAlertPathWarning(warning: string | null): void {
    this.model = { ...this.model, alertPathWarning: warning }
    this.render()
  }

  /** The tray icon exists (the Test alert's tray proof; no platform confirms it is visible). */
  exists(): boolean {
    return !this.tray.isDestroyed()
  }

  /** The attention sink's tray variant (red dot). Cleared when nothing is waiting unacknowledged. */
  setAttention(on: boolean): void {
    this.attention = on
    this.render()
  }

  /** Re-read login-item state etc. and rebuild the menu. */
  refresh(): void {
    this.model = { ...this.model, loginItem: this.opts.loginItem() }
    this.render()
  }

  destroy(): void {
    clearInterval(this.tick)
    this.tray.destroy()
  }

  private render(): void {
    const now = (this.opts.now ?? Date.now)()
    const file = trayIconFile(iconState(this.model), this.attention && this.model.unacknowledged > 0, this.opts.platform)
    if (file !== this.iconFile) {
      this.iconFile = file
      this.tray.setImage(nativeImage.createFromPath(join(this.opts.iconDir, file)))
    }
    const tooltip = tooltipFor(this.model, now)
    if (tooltip !== this.tooltip) {
      this.tooltip = tooltip
      this.tray.setToolTip(tooltip)
    }
    // Pause labels count minutes, so the key includes the minute; otherwise only real changes rebuild.
    const key = JSON.stringify([this.model, Math.floor(now / 60_000)])
    if (key !== this.menuKey) {
      this.menuKey = key
      this.tray.setContextMenu(Menu.buildFromTemplate(buildTrayMenuTemplate(this.model, this.opts.actions, now)))
    }
  }

  /** For tests and diagnostics. */
  currentIconFile(): string {
    return this.iconFile
  }
}
