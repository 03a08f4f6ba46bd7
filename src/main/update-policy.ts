// When BayAlert may install an update. Pure: the updater controller (updater.ts) feeds it electron-updater's
// events and the engine's queue, and does what it says.
//
// The rule: an update never restarts the app while a customer is waiting. A restart takes seconds and the
// engine catches up on start, but a mechanic who is looking at a waiting request must not see the window
// vanish, and a request that arrives during the restart rings late. So a downloaded update is installed
//   - when the mechanic quits BayAlert and the queue is empty (nothing waiting, so nothing unacknowledged), or
//   - at an idle moment: the queue has been empty for `idleMs`, the link is live (so "empty" is the server's
//     word, not a stale local view), and the sign-in survives a restart (a keyring is present: without one
//     the session is held in memory only and a restart would sign the workstation out — a silent bay).
// Quitting with requests waiting quits without installing; electron-updater keeps the download and the next
// start's check finds it again.
export type UpdatePhase = 'off' | 'idle' | 'checking' | 'downloading' | 'downloaded' | 'error'

export interface UpdateState {
  phase: UpdatePhase
  /** The version being downloaded or ready to install. */
  version: string | null
  /** Why updates are off, or the last error (without URLs' query strings). */
  detail: string | null
  /** Failed checks/downloads since start (counted, never silent). */
  failures: number
}

export type UpdateEvent =
  | { type: 'checking-for-update' }
  | { type: 'update-available'; version: string }
  | { type: 'update-not-available' }
  | { type: 'update-downloaded'; version: string }
  | { type: 'error'; message: string }

export function initialUpdateState(offReason: string | null): UpdateState {
  return offReason ? { phase: 'off', version: null, detail: offReason, failures: 0 } : { phase: 'idle', version: null, detail: null, failures: 0 }
}

export function reduceUpdate(state: UpdateState, event: UpdateEvent): UpdateState {
  if (state.phase === 'off') return state
  switch (event.type) {
    case 'checking-for-update':
      // A periodic check after a finished download must not forget the update that is ready.
      return state.phase === 'downloaded' ? state : { ...state, phase: 'checking', detail: null }
    case 'update-available':
      return state.phase === 'downloaded' && state.version === event.version ? state : { ...state, phase: 'downloading', version: event.version, detail: null }
    case 'update-not-available':
      return state.phase === 'downloaded' ? state : { ...state, phase: 'idle', version: null, detail: null }
    case 'update-downloaded':
      return { ...state, phase: 'downloaded', version: event.version, detail: null }
    case 'error':
      // A failed re-check keeps a finished download installable.
      return state.phase === 'downloaded'
        ? { ...state, failures: state.failures + 1, detail: event.message }
        : { ...state, phase: 'error', detail: event.message, failures: state.failures + 1 }
  }
}

export interface QueueFacts {
  /** Requests in the engine's queue (acknowledged or not: both are customers still waiting). */
  waiting: number
  linkLive: boolean
  /** The sign-in is kept across a restart (safeStorage with a real keyring). */
  sessionPersists: boolean
  /** Epoch ms since when the queue has been empty (null while it is not). */
  emptySince: number | null
}

export const DEFAULT_IDLE_INSTALL_MS = 30 * 60_000

export type InstallDecision = 'wait' | 'on-quit' | 'now'

/** 'now': install and restart at once; 'on-quit': install if the app quits now; 'wait': not now, not on quit. */
export function installDecision(state: UpdateState, q: QueueFacts, now: number, idleMs: number = DEFAULT_IDLE_INSTALL_MS): InstallDecision {
  if (state.phase !== 'downloaded' || q.waiting > 0) return 'wait'
  const idleLongEnough = q.emptySince !== null && now - q.emptySince >= idleMs
  return idleLongEnough && q.linkLive && q.sessionPersists ? 'now' : 'on-quit'
}

/** The one line the window shows about updates. */
export function updateStatusText(state: UpdateState, q: Pick<QueueFacts, 'waiting'>): string {
  switch (state.phase) {
    case 'off':
      return `Updates are off: ${state.detail ?? 'not configured'}.`
    case 'idle':
      return 'BayAlert is up to date.'
    case 'checking':
      return 'Checking for updates…'
    case 'downloading':
      return `Downloading BayAlert ${state.version ?? ''}…`.replace(' …', '…')
    case 'downloaded':
      return q.waiting > 0
        ? `BayAlert ${state.version} is ready. It is installed once no customer is waiting (${q.waiting} waiting now), when BayAlert quits or restarts at a quiet moment.`
        : `BayAlert ${state.version} is ready and is installed when BayAlert quits or at a quiet moment.`
    case 'error':
      return `Update check failed (${state.detail ?? 'unknown error'}); trying again later.`
  }
}

/** Checks spread over the shop's workstations: every `base` ± 10 %, so a fleet does not hit the feed at once. */
export function nextCheckDelay(baseMs: number, random: () => number = Math.random): number {
  return Math.round(baseMs * (0.9 + 0.2 * random()))
}

/** The update feed in effect: BAYALERT_UPDATE_FEED_URL, then the provisioning file; none: updates off. */
export function updateFeed(
  envUrl: string | undefined,
  provisionedUrl: string | undefined,
  isPackaged: boolean,
  urlProblem: (v: unknown) => string | null,
): { url: string; offReason: null } | { url: null; offReason: string } {
  if (!isPackaged) return { url: null, offReason: 'this is a development build (updates need an installed app)' }
  if (envUrl !== undefined && envUrl !== '') {
    const p = urlProblem(envUrl)
    if (p) return { url: null, offReason: `BAYALERT_UPDATE_FEED_URL is not usable (${p.replace('Supabase URL', 'the URL')})` }
    return { url: envUrl.trim(), offReason: null }
  }
  if (provisionedUrl) return { url: provisionedUrl, offReason: null }
  return { url: null, offReason: 'no update feed is configured (updateFeedUrl in the provisioning file)' }
}
