// Every timer the link and feed start goes through one registry, so stop() can clear them all and
// tests can assert that nothing is left running (a leaked retry timer would reconnect a stopped engine).

export class TimerRegistry {
  private readonly live = new Set<ReturnType<typeof setTimeout>>()
  private readonly sleepers = new Set<() => void>()
  private closed = false

  /** Like setTimeout, but tracked; returns a cancel function. No-op after closeAll(). */
  after(ms: number, fn: () => void): () => void {
    if (this.closed) return () => {}
    const t = setTimeout(() => {
      this.live.delete(t)
      fn()
    }, Math.max(0, ms))
    this.live.add(t)
    return () => {
      clearTimeout(t)
      this.live.delete(t)
    }
  }

  /** A cancellable sleep; resolves false if cancelled by closeAll(). */
  sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(false)
      const cancel = this.after(ms, () => {
        this.sleepers.delete(wake)
        resolve(true)
      })
      const wake = () => {
        cancel()
        resolve(false)
      }
      this.sleepers.add(wake)
    })
  }
  get count(): number {
    return this.live.size
  }

  closeAll(): void {
    this.closed = true
    for (const t of this.live) clearTimeout(t)
    this.live.clear()
    for (const wake of [...this.sleepers]) wake()
    this.sleepers.clear()
  }
}
