// The realtime fake never fails silently: everything odd it sees goes to the backend's log with its cause.
export interface Logger {
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Accepts a console-like object, a `(level, msg)` function, a `(line)` function, or nothing. */
export type LogInput = Partial<Logger> | ((level: LogLevel, msg: string) => void) | ((line: string) => void) | undefined | null

export function toLogger(input: LogInput): Logger {
  if (!input) {
    const quiet = () => {}
    return { debug: quiet, info: quiet, warn: (m) => console.warn(m), error: (m) => console.error(m) }
  }
  if (typeof input === 'function') {
    const fn = input as (a: string, b?: string) => void
    // A two-parameter function takes (level, msg); one parameter takes a ready-made line.
    const call = (level: LogLevel, msg: string) => (fn.length >= 2 ? fn(level, msg) : fn(`[${level}] ${msg}`))
    return { debug: (m) => call('debug', m), info: (m) => call('info', m), warn: (m) => call('warn', m), error: (m) => call('error', m) }
  }
  const o = input
  const pick = (level: LogLevel) => (o[level] ? (m: string) => o[level]!.call(o, m) : (m: string) => (o.info ?? o.warn ?? console.log).call(o, `[${level}] ${m}`))
  return { debug: o.debug ? (m) => o.debug!.call(o, m) : () => {}, info: pick('info'), warn: pick('warn'), error: pick('error') }
}
