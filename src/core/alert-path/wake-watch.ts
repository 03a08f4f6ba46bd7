// Notices that the machine slept, for hosts with no power events (headless under plain Node): a timer that
// should tick every intervalMs sees the wall clock jump by much more when the process was suspended. The
// Electron host uses powerMonitor's 'resume' instead.
export interface WakeWatchOptions {
  onWake: (sleptMs: number) => void
  now?: () => number
  intervalMs?: number
  /** How much later than expected a tick must be to count as a sleep (a busy event loop is late too). */
  slackMs?: number
}

export function watchForWake(o: WakeWatchOptions): () => void {
  const now = o.now ?? Date.now
  const interval = o.intervalMs ?? 30_000
  const slack = o.slackMs ?? 60_000
  let last = now()
  const t = setInterval(() => {
    const at = now()
    const late = at - last - interval
    last = at
    if (late > slack) o.onWake(late)
  }, interval)
  t.unref?.()
  return () => clearInterval(t)
}
