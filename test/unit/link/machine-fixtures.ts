// Machine values for each of the link's states, reached by real event sequences (never hand-built), and one
// instance of every event. Shared by the transition table and the property tests.
import { PRIVATE_PROBE_BACKOFF, RECONNECT_BACKOFF } from '../../../src/core/link/backoff.js'
import { initialMachine, transition, type LinkEvent, type LinkMachine, type MachineConfig } from '../../../src/core/link/machine.js'
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../../../src/core/link/supervisor.js'

export const CONFIG: MachineConfig = { backoff: RECONNECT_BACKOFF, systemOkTimeoutMs: 15_000, stuckTimeoutMs: 30_000, heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS, privateProbe: PRIVATE_PROBE_BACKOFF }

export function run(events: LinkEvent[], from: LinkMachine = initialMachine(CONFIG)): LinkMachine {
  return events.reduce((m, e) => transition(m, e, 0.5).state, from)
}

/**
 * Every named state, reached afresh on each call. Never at import: the machine code a fixture runs is then run
 * inside the test that uses it, so mutation testing (Stryker's per-test coverage, which activates a mutant only
 * while tests run) credits that code to the test and builds the fixture with the mutant in place. Built once at
 * import, every mutant it touched was "static": each ran all ~400 tests, hours for this one file.
 */
function reachStates() {
  const signedOut = run([{ type: 'start', session: false }])
  /** Signed in, the rebuild running (no channels yet). */
  const connecting = run([{ type: 'signedIn' }], signedOut)
  const goLive = (gen: number): LinkEvent[] => [
    { type: 'rebuilt', gen, outcome: 'joined' },
    { type: 'socketOpen' },
    { type: 'joined', gen, channel: 'shop' },
    { type: 'systemOk', gen, channel: 'shop' },
  ]
  /** The one trusted path: shop:requests alone, joined and its feature_flags changes confirmed. */
  const live = run(goLive(connecting.gen), connecting)
  /** The private channel's join timed out: a retry is scheduled. */
  const degraded = run([{ type: 'joinTimedOut', gen: live.gen, channel: 'shop' }], live)
  const offline = run([{ type: 'socketClose', code: 1006 }, { type: 'reconnectScheduled', delayMs: 1000 }], live)
  /** Reported broken: the fallback channel (postgres_changes on requests) joined and confirmed beside shop. */
  const fallback = run(
    [
      { type: 'privatePathBroken', reason: 'no broadcast for a queue change' },
      { type: 'joined', gen: live.gen, channel: 'feed' },
      { type: 'systemOk', gen: live.gen, channel: 'feed' },
    ],
    live,
  )

  /**
   * The private channel refused (no realtime.messages policy): the public channel alone carries postgres_changes
   * on requests and flags, joined and confirmed on the same socket; the private channel waits for its probe.
   */
  const refused = run(
    [
      { type: 'joinRefused', gen: live.gen, channel: 'shop', cause: 'Unauthorized: You do not have permissions to read from this Channel topic: shop:requests' },
      { type: 'joined', gen: live.gen, channel: 'feed' },
      { type: 'systemOk', gen: live.gen, channel: 'feed' },
    ],
    live,
  )
  return { 'signed-out': signedOut, connecting, live, degraded, offline, 'degraded (fallback)': fallback, 'degraded (refused)': refused } as const
}

type States = ReturnType<typeof reachStates>

/** The named states; each read reaches its state again by real events (see reachStates). */
export const STATES: States = {
  get 'signed-out'() { return reachStates()['signed-out'] },
  get connecting() { return reachStates().connecting },
  get live() { return reachStates().live },
  get degraded() { return reachStates().degraded },
  get offline() { return reachStates().offline },
  get 'degraded (fallback)'() { return reachStates()['degraded (fallback)'] },
  get 'degraded (refused)'() { return reachStates()['degraded (refused)'] },
}

/** One instance of every event; channel events carry the generation of the state they are sent to. */
export function eventsFor(m: LinkMachine): Record<string, LinkEvent> {
  const gen = m.gen
  return {
    start: { type: 'start', session: true },
    signInStarted: { type: 'signInStarted' },
    signInFailed: { type: 'signInFailed', show: 'signed-out', reason: 'Sign-in failed: Invalid login credentials' },
    signedIn: { type: 'signedIn' },
    signOut: { type: 'signOut' },
    revoked: { type: 'revoked', reason: 'Your session was revoked or expired (Invalid Refresh Token). Sign in again.' },
    stop: { type: 'stop' },
    reconnectNow: { type: 'reconnectNow' },
    resume: { type: 'resume' },
    networkDown: { type: 'networkDown' },
    networkBack: { type: 'networkBack' },
    'rebuilt joined': { type: 'rebuilt', gen, outcome: 'joined' },
    'rebuilt failed': { type: 'rebuilt', gen, outcome: 'failed', reason: 'boom' },
    'rebuilt refreshTemporary': { type: 'rebuilt', gen, outcome: 'refreshTemporary', reason: 'HTTP 429: rate limited' },
    'rebuilt revoked': { type: 'rebuilt', gen, outcome: 'revoked', reason: 'Your session is no longer valid (x). Sign in again.' },
    socketOpen: { type: 'socketOpen' },
    socketClose: { type: 'socketClose', code: 1006 },
    socketError: { type: 'socketError', message: 'ECONNREFUSED' },
    heartbeatTimeout: { type: 'heartbeatTimeout' },
    reconnectScheduled: { type: 'reconnectScheduled', delayMs: 2000 },
    joined: { type: 'joined', gen, channel: 'shop' },
    'joinRefused PrivateOnly': { type: 'joinRefused', gen, channel: 'feed', cause: 'PrivateOnly: This project only allows private channels' },
    'joinRefused token': { type: 'joinRefused', gen, channel: 'shop', cause: 'InvalidJWTToken: Token has expired' },
    channelError: { type: 'channelError', gen, channel: 'shop', cause: 'socket closed' },
    joinTimedOut: { type: 'joinTimedOut', gen, channel: 'shop' },
    serverClosed: { type: 'serverClosed', gen, channel: 'shop' },
    'serverClosed spread': { type: 'serverClosed', gen, channel: 'shop', spreadMs: 1500 },
    'joinRefused permission': { type: 'joinRefused', gen, channel: 'shop', cause: 'Unauthorized: You do not have permissions to read from this Channel topic: shop:requests' },
    systemOk: { type: 'systemOk', gen, channel: 'shop' },
    systemError: { type: 'systemError', gen, channel: 'shop', text: 'Unable to subscribe to changes' },
    shutdownNotice: { type: 'shutdownNotice', gen, channel: 'shop', text: 'server shutdown' },
    'stale channel event': { type: 'joinTimedOut', gen: gen - 1, channel: 'shop' },
    tokenRefreshed: { type: 'tokenRefreshed' },
    'refreshFailed temporary': { type: 'refreshFailed', temporary: true, reason: 'HTTP 429: rate limited' },
    'refreshFailed permanent': { type: 'refreshFailed', temporary: false, reason: 'Your session was revoked or expired (refresh_token_not_found). Sign in again.' },
    'timer retry': { type: 'timerFired', timer: 'retry' },
    'timer systemOk': { type: 'timerFired', timer: 'systemOk' },
    'timer stuck': { type: 'timerFired', timer: 'stuck' },
    'timer refresh': { type: 'timerFired', timer: 'refresh' },
    'timer probe': { type: 'timerFired', timer: 'probe' },
    privatePathBroken: { type: 'privatePathBroken', reason: 'no broadcast for a queue change' },
    privatePathHealthy: { type: 'privatePathHealthy' },
  }
}
