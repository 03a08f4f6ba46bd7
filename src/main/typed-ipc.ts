// Typed ipcMain.handle() with a sender check and runtime argument validation (electron/fiddle's sender
// check, zulip's typed-ipc-main, mattermost's ipcValidate; security checklist #17). Channel names and
// argument shapes come only from the schemas in src/shared/ipc-schemas.ts; the handler receives the parsed
// arguments. A rejected call throws in the renderer with a short, value-free reason and is logged here
// without the argument values (they may be huge, hostile or a password).
// This file and the preload are the only places that may touch ipcMain / ipcRenderer (eslint.config.js).
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron'
import type { Logger } from '../core/ports.js'
import { describeArgs, type PushChannel, type PushChannels } from '../shared/ipc.js'
import { parseInvokeArgs, type InvokeChannel, type InvokeChannels } from '../shared/ipc-schemas.js'
import { isAppUrl } from './security.js'

interface FrameLike {
  url: string
}

/** Only frames loaded from our own bundle (app://bundle/...) may call the main process. */
export function isTrustedSender(frame: FrameLike | null | undefined): boolean {
  return !!frame && isAppUrl(frame.url)
}

export type Handler<C extends InvokeChannel> = (
  ...args: InvokeChannels[C]['args']
) => InvokeChannels[C]['result'] | Promise<InvokeChannels[C]['result']>

export function handle<C extends InvokeChannel>(channel: C, handler: Handler<C>, log: Logger): void {
  ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]) => {
    // senderFrame is null if the frame navigated away or was destroyed before this ran.
    const frame = event.senderFrame
    if (!isTrustedSender(frame)) {
      log.warn('ipc: rejected call from untrusted sender', { channel, sender: safeOrigin(frame?.url) })
      throw new Error(`untrusted sender for ${channel}`)
    }
    const parsed = parseInvokeArgs(channel, args)
    if (!parsed.ok) {
      log.warn('ipc: rejected invalid arguments', { channel, args: describeArgs(args), reason: parsed.reason })
      throw new Error(`invalid arguments for ${channel}: ${parsed.reason}`)
    }
    return handler(...parsed.args)
  })
}

function safeOrigin(url: string | undefined): string {
  if (!url) return '(no frame)'
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}`
  } catch {
    return '(unparsable url)'
  }
}

/** Typed webContents.send; silently skips destroyed targets (a closed window is not an error). */
export function push<C extends PushChannel>(target: WebContents | null | undefined, channel: C, ...args: PushChannels[C]): void {
  if (!target || target.isDestroyed()) return
  target.send(channel, ...args)
}
