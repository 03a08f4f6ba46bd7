// The global shortcut (issue 8): one press takes the oldest waiting request, or shows the queue window when
// nobody is waiting — for a mechanic whose hands are not on the mouse. Registered through Electron's
// globalShortcut (https://www.electronjs.org/docs/latest/api/global-shortcut), which returns false when the
// combination is taken by another program or the OS; that failure is logged and said to the mechanic
// (onProblem), never swallowed.
import type { Logger } from '../../core/ports.js'

/** The part of Electron's globalShortcut this uses. */
export interface ShortcutRegistry {
  register(accelerator: string, callback: () => void): boolean
  unregister(accelerator: string): void
}

export interface GlobalShortcutOptions {
  registry: ShortcutRegistry
  onPress(): void
  /** A sentence when the shortcut could not be registered; null once it is (or none is wanted). */
  onProblem(problem: string | null): void
  log: Logger
}

export class GlobalShortcut {
  private current: string | null = null
  private lastProblem: string | null = null

  constructor(private readonly o: GlobalShortcutOptions) {}

  /** The registered accelerator, or null. */
  get registered(): string | null {
    return this.current
  }

  get problem(): string | null {
    return this.lastProblem
  }

  /** Registers `accelerator` ('' = none) in place of the current one; idempotent for the same value. */
  apply(accelerator: string): void {
    const wanted = accelerator.trim()
    if (wanted === this.current && this.lastProblem === null) return
    this.clear()
    if (wanted === '') return this.report(null)
    let ok = false
    let cause = 'another program or the system already uses it'
    try {
      ok = this.o.registry.register(wanted, () => this.press())
    } catch (e) {
      cause = e instanceof Error ? e.message : String(e)
    }
    if (ok) {
      this.current = wanted
      this.o.log.info('global shortcut registered', { accelerator: wanted })
      return this.report(null)
    }
    this.o.log.warn('global shortcut not registered', { accelerator: wanted, cause })
    this.report(`The shortcut ${wanted} could not be set up: ${cause}. Choose another one in Settings.`)
  }

  /** Unregisters (at quit, or before another one). */
  clear(): void {
    if (this.current === null) return
    try {
      this.o.registry.unregister(this.current)
    } catch (e) {
      this.o.log.warn('global shortcut: unregister failed', { accelerator: this.current, cause: String(e) })
    }
    this.current = null
  }

  private press(): void {
    try {
      this.o.onPress()
    } catch (e) {
      this.o.log.error('global shortcut: handling a press failed', { cause: String((e as Error)?.stack ?? e) })
    }
  }

  private report(problem: string | null): void {
    if (problem === this.lastProblem) return
    this.lastProblem = problem
    this.o.onProblem(problem)
  }
}
