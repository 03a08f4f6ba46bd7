// Typed ipcMain.handle() with a sender check and runtime argument validation (electron/fiddle's sender
// check, zulip's typed-ipc-main, mattermost's ipcValidate; security checklist #17). Channel names and
// argument shapes come only from src/shared/ipc.ts. A rejected call throws in the renderer with a short
// reason and is logged here without the argument values (they may be huge, hostile or a password).
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron'
import type { Logger } from '../core/ports.js'
import { ARG_VALIDATORS, describeArgs, type InvokeChannel, type InvokeChannels, type PushChannel, type PushChannels } from '../shared/ipc.js'
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
  const validate = ARG_VALIDATORS[channel] as (a: readonly unknown[]) => boolean
  ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]) => {
    // senderFrame is null if the frame navigated away or was destroyed before this ran.
    const frame = event.senderFrame
    if (!isTrustedSender(frame)) {
      log.warn('ipc: rejected call from untrusted sender', { channel, sender: safeOrigin(frame?.url) })
      throw new Error(`untrusted sender for ${channel}`)
    }
    if (!validate(args)) {
      log.warn('ipc: rejected invalid arguments', { channel, args: describeArgs(args) })
      throw new Error(`invalid arguments for ${channel}`)
    }
    return handler(...(args as InvokeChannels[C]['args']))
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
