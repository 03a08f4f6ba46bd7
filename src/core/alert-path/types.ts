// The alert path's port: what the operating system lets us learn about whether an alert will actually reach
// the mechanic. Each detector asks one question (is a notification daemon running? is Do Not Disturb on? is
// the output muted?) and answers with findings; a detector that cannot tell says why ("unknown"), so an
// unanswerable question is reported as such instead of passing as "fine".
// The engine side only: no Electron here (the Electron-only facts live in src/main/alert-path and plug into
// the same Detector shape).

/** Which part of an alert a finding swallows. The fallback depends on it (notifications → queue window to front). */
export type AlertChannel = 'notifications' | 'sound' | 'tray'

export type FindingId =
  | 'focus-assist'
  | 'do-not-disturb'
  | 'toasts-disabled'
  | 'no-notification-daemon'
  | 'notifications-denied'
  | 'no-app-user-model-id'
  | 'audio-muted'
  | 'no-audio-output'
  | 'no-tray-host'

export interface Finding {
  id: FindingId
  /** What is swallowed. */
  affects: AlertChannel
  /** One sentence a mechanic can act on ("Do Not Disturb is on in GNOME: alerts show no pop-up. …"). */
  reason: string
}

/** A detector that could not tell: its command is missing, timed out, or answered something unreadable. */
export interface Unknown {
  detector: string
  why: string
}

export interface DetectorResult {
  findings: Finding[]
  /** Set when the detector could not tell. Not a finding: nothing is known to be swallowed. */
  unknown?: string
}

/** How a detector reaches the OS: the thinnest seam, mocked in the tests. */
export interface OsQuery {
  run: CommandRunner
  /** Text of a file, or null when it does not exist; throws with the cause for any other failure. */
  readText(path: string): Promise<string | null>
  platform: NodeJS.Platform
  env: NodeJS.ProcessEnv
}

export interface Detector {
  /** Stable and short: appears in logs, the JSON line and doctor ("linux: notification daemon"). */
  readonly name: string
  detect(os: OsQuery): Promise<DetectorResult>
}

export interface AlertPathVerdict {
  /** When the last run finished (ms since epoch). */
  checkedAt: number
  /** What started it: 'start', 'resume', 'hourly', 'test' (Test alert) or a host's own word. */
  trigger: string
  findings: Finding[]
  unknown: Unknown[]
}

/** The port the hosts use. check() never rejects; each detector has its own timeout. */
export interface AlertPathProbe {
  check(trigger: string): Promise<AlertPathVerdict>
}

// ---------------------------------------------------------------------------------------------------
// The command runner

export type CommandResult =
  | { kind: 'ok'; stdout: string; stderr: string }
  /** Ran and exited non-zero (the answer may still be in stderr: "No such schema", "ServiceUnknown"). */
  | { kind: 'failed'; code: number | null; stdout: string; stderr: string }
  /** Not installed (ENOENT). */
  | { kind: 'missing' }
  | { kind: 'timeout'; ms: number }
  | { kind: 'error'; message: string }

export type CommandRunner = (command: string, args: readonly string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }) => Promise<CommandResult>

/** The common "could not tell" sentence for a runner result that is not an answer. */
export function notAnswered(command: string, r: CommandResult): string | null {
  switch (r.kind) {
    case 'missing':
      return `${command} is not installed`
    case 'timeout':
      return `${command} did not answer within ${r.ms} ms`
    case 'error':
      return `${command} could not run (${r.message})`
    default:
      return null
  }
}

/** First line of stderr, capped: enough to say why without pasting a whole D-Bus error into a tray tooltip. */
export function firstLine(s: string, max = 160): string {
  const line = s.trim().split('\n')[0] ?? ''
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}
