// Injected timers, so tests drive time with vitest fake timers or a manual scheduler instead of
// sleeping, and so every component's timers can be cleared on stop.

export type TimerHandle = unknown

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

// Late-bound through globalThis so vitest's fake timers (installed after import) are honoured.
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => {
    const h = globalThis.setTimeout(fn, ms)
    // A pending repeat or prune must never keep a headless CLI process alive on its own.
    ;(h as { unref?: () => void }).unref?.()
    return h
  },
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
}
