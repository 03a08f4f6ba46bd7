// AlertSink → badge/overlay/tray dot (queueChanged) and window flash / dock bounce (alert).
// The platform decisions live in attention/badge.ts and attention/flash.ts; this file only wires them to
// the live Electron objects.
import { app, nativeImage, type BrowserWindow } from 'electron'
import type { Alert, AlertSink } from '../core/ports.js'
import { applyBadge } from './attention/badge.js'
import { cancelAttention, requestAttention, type FlashTarget } from './attention/flash.js'

export interface AttentionSinkOptions {
  platform: NodeJS.Platform
  queueWindow: () => BrowserWindow | null
  setTrayAttention: (on: boolean) => void
  overlayIconPath: string
}

export class AttentionSink implements AlertSink {
  readonly name = 'attention'
  readonly tier = 'attention' as const
  private count = 0

  constructor(private readonly opts: AttentionSinkOptions) {}

  alert(_alert: Alert): void {
    requestAttention(this.opts.platform, this.flashTarget())
  }

  retract(_requestId: string): void {
    // Stop flashing once nothing is waiting; queueChanged follows with the new count.
    if (this.count <= 1) cancelAttention(this.opts.platform, this.flashTarget())
  }

  queueChanged(count: number): void {
    this.count = count
    const win = this.opts.queueWindow()
    applyBadge(this.opts.platform, count, {
      setBadgeCount: (n) => {
        app.setBadgeCount(n)
      },
      setOverlay: (description) => {
        if (!win) return
        win.setOverlayIcon(description ? nativeImage.createFromPath(this.opts.overlayIconPath) : null, description ?? '')
      },
      setTrayAttention: (on) => this.opts.setTrayAttention(on),
    })
    if (count === 0) cancelAttention(this.opts.platform, this.flashTarget())
  }

  private flashTarget(): FlashTarget {
    const win = this.opts.queueWindow()
    return {
      flashFrame: win ? (on) => win.flashFrame(on) : null,
      isFocused: () => !!win && win.isFocused(),
      dockBounce: app.dock ? () => void app.dock!.bounce('informational') : null,
    }
  }
}
