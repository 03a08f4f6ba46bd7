// Every reach into supabase-js / realtime-js / phoenix internals lives here: this file is what a library
// upgrade touches. The rest of the link sees plain callbacks and channel plans.
//
// Internals used (realtime-js 2.x, src/RealtimeClient.ts and its phoenix socket adapter):
// - `realtime.socketAdapter.onOpen/onClose/onError` — phoenix stateChangeCallbacks, the only way to hear a
//   socket open or close;
// - `socketAdapter.getSocket()` — the phoenix Socket, whose `disconnect(cb)` closes without the adapter's
//   10 s leftover timer, and whose `conn.terminate()` (the `ws` package) kills a half-open socket at once;
// - `realtime._cancelPendingDisconnect()` — removing the last channel schedules a deferred disconnect.
import WebSocketImpl from 'ws'
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js'
import { redactText } from '../config.js'
import type { ChangeTable, ChannelPlan } from './machine.js'

export interface ClientOptions {
  supabaseUrl: string
  /** null: the configured key was refused; the client must never touch the network with it. */
  anonKey: string | null
  storage: { getItem(k: string): Promise<string | null> | string | null; setItem(k: string, v: string): unknown; removeItem(k: string): unknown }
  fetch: typeof fetch
  heartbeatIntervalMs: number
  joinTimeoutMs: number
  reconnectAfterMs(tries: number): number
  heartbeatTimeout(): void
  transport?: unknown
}

export function createLinkClient(o: ClientOptions): SupabaseClient {
  const host = new URL(o.supabaseUrl).host
  return createClient(o.supabaseUrl, o.anonKey ?? 'refused-key', {
    auth:
      o.anonKey === null
        ? // Nothing to refresh, nothing stored: a refused configuration must not touch the network.
          { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }
        : {
            storage: o.storage as never,
            // One storage key per project: a session for another project must never be replayed here.
            storageKey: `bayalert-auth:${host}`,
            autoRefreshToken: true,
            persistSession: true,
            detectSessionInUrl: false,
          },
    global: { fetch: o.fetch },
    realtime: {
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      timeout: o.joinTimeoutMs,
      reconnectAfterMs: (tries: number) => o.reconnectAfterMs(tries),
      heartbeatCallback: (status: string) => {
        if (status === 'timeout') o.heartbeatTimeout()
      },
      // Node < 22 has no global WebSocket.
      ...(o.transport
        ? { transport: o.transport as never }
        : typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function'
          ? {}
          : { transport: WebSocketImpl as never }),
      // Never `worker: true` outside a renderer: phoenix then sends no heartbeats at all in Node.
    },
  })
}

export interface SocketHooks {
  open(): void
  close(code?: number, reason?: string): void
  error(message?: string): void
}

export type ChannelStatus =
  | { kind: 'joined' }
  | { kind: 'joinRefused'; cause: string }
  | { kind: 'channelError'; cause: string }
  | { kind: 'timedOut' }
  | { kind: 'closed' }

export interface ChannelHooks {
  broadcast(msg: unknown): void
  change(table: ChangeTable, msg: unknown): void
  system(msg: unknown): void
  status(s: ChannelStatus): void
}

interface SocketAdapterLike {
  onOpen(cb: () => void): void
  onClose(cb: (ev?: { code?: number; reason?: string }) => void): void
  onError(cb: (e: unknown) => void): void
  getSocket?(): PhoenixSocketLike
}

interface PhoenixSocketLike {
  conn?: { terminate?: () => void; readyState?: number } | null
  disconnect?(cb: () => void, code?: number, reason?: string): void
  clearHeartbeats?(): void
}

interface RealtimeInternals {
  socketAdapter?: SocketAdapterLike
  _cancelPendingDisconnect?(): void
}

export class RealtimeAdapter {
  constructor(
    private readonly client: SupabaseClient,
    private readonly warn: (msg: string, data: Record<string, unknown>) => void,
  ) {}

  private get internals(): RealtimeInternals {
    return this.client.realtime as unknown as RealtimeInternals
  }

  /** Socket open/close/error (phoenix stateChangeCallbacks). */
  hookSocket(h: SocketHooks): void {
    const adapter = this.internals.socketAdapter
    if (!adapter) return
    adapter.onOpen(() => h.open())
    adapter.onClose((ev) => h.close(ev?.code, ev?.reason))
    adapter.onError((e: unknown) => {
      const msg = (e as { message?: string } | undefined)?.message
      h.error(msg ? redactText(msg) : undefined)
    })
  }

  /** The socket must carry the user's JWT in the join, or RLS silently filters everything. */
  setAuth(): Promise<void> {
    return this.client.realtime.setAuth()
  }

  get channelCount(): number {
    return this.client.realtime.channels.length
  }

  join(plan: ChannelPlan, h: ChannelHooks): RealtimeChannel {
    const ch = this.client.realtime.channel(plan.topic, { config: { private: plan.private, broadcast: { self: false, ack: false } } })
    ch.on('broadcast', { event: '*' }, (msg: unknown) => h.broadcast(msg))
    for (const table of plan.tables) ch.on('postgres_changes', { event: '*', schema: 'public', table }, (msg: unknown) => h.change(table, msg))
    ch.on('system', {}, (msg: unknown) => h.system(msg))
    ch.subscribe((status, err) => {
      const cause = err ? redactText(err.message) : ''
      switch (status) {
        case 'SUBSCRIBED':
          return h.status({ kind: 'joined' })
        case 'CHANNEL_ERROR': {
          // A join error reply carries the server's reason as `cause`; socket-level errors do not, except the
          // reply phoenix makes up for a push on a socket that closed ("socket closed: 1006"), which is the
          // socket's loss, not the server refusing the channel.
          const transport = /^socket (closed|error)\b/i.test(cause)
          const joinError = !transport && (!!(err as { cause?: unknown } | undefined)?.cause || /mismatch between server and client bindings/.test(cause))
          return h.status(joinError ? { kind: 'joinRefused', cause: cause || 'channel error' } : { kind: 'channelError', cause: cause || 'channel error' })
        }
        case 'TIMED_OUT':
          return h.status({ kind: 'timedOut' })
        case 'CLOSED':
          return h.status({ kind: 'closed' })
      }
    })
    return ch
  }

  /** Leaves one channel on a socket that stays (the fallback joined or dropped). */
  async leave(ch: RealtimeChannel): Promise<void> {
    try {
      const r = await this.client.realtime.removeChannel(ch)
      if (r !== 'ok') ch.teardown()
    } catch (e) {
      this.warn('link: removeChannel failed', { topic: ch.topic, cause: String(e) })
      ch.teardown()
    }
    const rt = this.client.realtime
    rt.channels = rt.channels.filter((c) => c !== ch)
  }

  /**
   * Closes the socket and removes every channel instance. The socket goes first so that each leave is
   * acknowledged locally instead of waiting 10 s for a reply on a dead link.
   */
  async teardown(hard: boolean): Promise<void> {
    const rt = this.client.realtime
    const sock = this.internals.socketAdapter?.getSocket?.()
    const conn = sock?.conn
    if (hard && conn && typeof conn.terminate === 'function') conn.terminate()
    if (sock && typeof sock.disconnect === 'function') {
      // Not rt.disconnect(): its adapter leaves a 10 s timer behind on every call.
      await new Promise<void>((resolve) => sock.disconnect!(() => resolve()))
      sock.clearHeartbeats?.()
      // A peer that never answers the close handshake keeps a `ws` in CLOSING for 30 s.
      if (conn && typeof conn.terminate === 'function' && conn.readyState !== 3) conn.terminate()
    } else {
      await rt.disconnect()
    }
    const old = [...rt.channels]
    for (const ch of old) {
      try {
        const r = await rt.removeChannel(ch)
        if (r !== 'ok') ch.teardown()
      } catch (e) {
        this.warn('link: removeChannel failed', { topic: ch.topic, cause: String(e) })
        ch.teardown()
      }
    }
    // removeChannel of the last channel schedules a deferred disconnect timer; cancel it.
    this.internals._cancelPendingDisconnect?.()
    rt.channels = rt.channels.filter((c) => !old.includes(c))
  }
}
