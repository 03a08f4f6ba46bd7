// The link's transition table: every state the mechanic can see × every event the link can receive, with
// the state shown next and the effects asked for (logs and state emissions aside). No backend: the states
// are reached by real event sequences (machine-fixtures.ts) and each row is one pure transition.
//
// Reading a row: [state, event, next state, next reason, effects]. Effects are written short:
// "rebuild refresh hard [shop(feature_flags)]" = refresh the session, kill the old socket, join those channels
// (with those postgres_changes tables); "join feed [session_assignments]" / "leave feed" on the same socket;
// "schedule retry 1000" = arm the retry timer for 1000 ms (jitter fixed at the middle, rand = 0.5).
import { describe, expect, it } from 'vitest'
import { TIMER_NAMES, transition, type LinkEffect, type LinkEvent } from '../../../src/core/link/machine.js'
import { eventsFor, STATES } from './machine-fixtures.js'

function short(f: LinkEffect): string {
  switch (f.type) {
    case 'schedule':
      return `schedule ${f.timer} ${f.ms}`
    case 'cancel':
      return `cancel ${f.timer}`
    case 'rebuild':
      return `rebuild${f.refresh ? ' refresh' : ''}${f.hard ? ' hard' : ''} [${f.channels.map((c) => `${c.name}(${c.tables.join(',')})`).join(' ')}]`
    case 'teardown':
      return `teardown${f.hard ? ' hard' : ''}`
    case 'join':
      return `join ${f.channel.name} [${f.channel.tables.join(',')}]`
    case 'leave':
      return `leave ${f.channel}`
    case 'reconcile':
      return `reconcile ${f.why}`
    default:
      return f.type
  }
}

type Row = [keyof typeof STATES, string, string, string, string[]]

// prettier-ignore
const TABLE: Row[] = [
  ["signed-out", "start", "connecting", "Restored the saved session; connecting", ["rebuild [shop(feature_flags)]"]],
  ["signed-out", "signInStarted", "connecting", "Signing in…", []],
  ["signed-out", "signInFailed", "signed-out", "Sign-in failed: Invalid login credentials", []],
  ["signed-out", "signedIn", "connecting", "Signed in; connecting", ["rebuild [shop(feature_flags)]"]],
  ["signed-out", "signOut", "signed-out", "Signed out", ["teardown"]],
  ["signed-out", "revoked", "signed-out", "Not signed in", []],
  ["signed-out", "stop", "signed-out", "Not signed in", ["teardown hard"]],
  ["signed-out", "reconnectNow", "signed-out", "Not signed in", []],
  ["signed-out", "resume", "signed-out", "Not signed in", []],
  ["signed-out", "networkDown", "signed-out", "Not signed in", []],
  ["signed-out", "networkBack", "signed-out", "Not signed in", []],
  ["signed-out", "rebuilt joined", "signed-out", "Not signed in", []],
  ["signed-out", "rebuilt failed", "signed-out", "Not signed in", []],
  ["signed-out", "rebuilt refreshTemporary", "signed-out", "Not signed in", []],
  ["signed-out", "rebuilt revoked", "signed-out", "Not signed in", []],
  ["signed-out", "socketOpen", "signed-out", "Not signed in", []],
  ["signed-out", "socketClose", "signed-out", "Not signed in", []],
  ["signed-out", "socketError", "signed-out", "Not signed in", []],
  ["signed-out", "heartbeatTimeout", "signed-out", "Not signed in", []],
  ["signed-out", "reconnectScheduled", "signed-out", "Not signed in", []],
  ["signed-out", "joined", "signed-out", "Not signed in", []],
  ["signed-out", "joinRefused PrivateOnly", "signed-out", "Not signed in", []],
  ["signed-out", "joinRefused token", "signed-out", "Not signed in", []],
  ["signed-out", "channelError", "signed-out", "Not signed in", []],
  ["signed-out", "joinTimedOut", "signed-out", "Not signed in", []],
  ["signed-out", "serverClosed", "signed-out", "Not signed in", []],
  ["signed-out", "serverClosed spread", "signed-out", "Not signed in", []],
  ["signed-out", "joinRefused permission", "signed-out", "Not signed in", []],
  ["signed-out", "systemOk", "signed-out", "Not signed in", []],
  ["signed-out", "systemError", "signed-out", "Not signed in", []],
  ["signed-out", "shutdownNotice", "signed-out", "Not signed in", []],
  ["signed-out", "stale channel event", "signed-out", "Not signed in", []],
  ["signed-out", "tokenRefreshed", "signed-out", "Not signed in", []],
  ["signed-out", "refreshFailed temporary", "signed-out", "Not signed in", []],
  ["signed-out", "refreshFailed permanent", "signed-out", "Not signed in", []],
  ["signed-out", "timer retry", "signed-out", "Not signed in", []],
  ["signed-out", "timer systemOk", "signed-out", "Not signed in", []],
  ["signed-out", "timer stuck", "signed-out", "Not signed in", []],
  ["signed-out", "timer refresh", "signed-out", "Not signed in", []],
  ["signed-out", "timer probe", "signed-out", "Not signed in", []],
  ["signed-out", "privatePathBroken", "signed-out", "Not signed in", []],
  ["signed-out", "privatePathHealthy", "signed-out", "Not signed in", []],
  ["connecting", "start", "connecting", "Signed in; connecting", []],
  ["connecting", "signInStarted", "connecting", "Signing in…", []],
  ["connecting", "signInFailed", "signed-out", "Sign-in failed: Invalid login credentials", []],
  ["connecting", "signedIn", "connecting", "Signed in; connecting", []],
  ["connecting", "signOut", "signed-out", "Signed out", ["teardown"]],
  ["connecting", "revoked", "signed-out", "Your session was revoked or expired (Invalid Refresh Token). Sign in again.", ["teardown", "forgetSession"]],
  ["connecting", "stop", "connecting", "Signed in; connecting", ["teardown hard"]],
  ["connecting", "reconnectNow", "connecting", "Signed in; connecting", []],
  ["connecting", "resume", "connecting", "Signed in; connecting", []],
  ["connecting", "networkDown", "connecting", "Signed in; connecting", []],
  ["connecting", "networkBack", "connecting", "Signed in; connecting", []],
  ["connecting", "rebuilt joined", "connecting", "Connecting to Realtime…", ["schedule stuck 30000"]],
  ["connecting", "rebuilt failed", "degraded", "Reconnect failed (boom); retrying in 1 s", ["schedule retry 1000"]],
  ["connecting", "rebuilt refreshTemporary", "degraded", "Cannot refresh the session (HTTP 429: rate limited); retrying in 1 s", ["schedule retry 1000"]],
  ["connecting", "rebuilt revoked", "signed-out", "Your session is no longer valid (x). Sign in again.", ["teardown", "forgetSession"]],
  ["connecting", "socketOpen", "connecting", "Signed in; connecting", []],
  ["connecting", "socketClose", "connecting", "Signed in; connecting", []],
  ["connecting", "socketError", "connecting", "Signed in; connecting", []],
  ["connecting", "heartbeatTimeout", "connecting", "Signed in; connecting", []],
  ["connecting", "reconnectScheduled", "connecting", "Signed in; connecting", []],
  ["connecting", "joined", "connecting", "Signed in; connecting", []],
  ["connecting", "joinRefused PrivateOnly", "connecting", "Signed in; connecting", []],
  ["connecting", "joinRefused token", "connecting", "Signed in; connecting", []],
  ["connecting", "channelError", "connecting", "Signed in; connecting", []],
  ["connecting", "joinTimedOut", "connecting", "Signed in; connecting", []],
  ["connecting", "serverClosed", "connecting", "Signed in; connecting", []],
  ["connecting", "serverClosed spread", "connecting", "Signed in; connecting", []],
  ["connecting", "joinRefused permission", "connecting", "Signed in; connecting", []],
  ["connecting", "systemOk", "connecting", "Signed in; connecting", []],
  ["connecting", "systemError", "connecting", "Signed in; connecting", []],
  ["connecting", "shutdownNotice", "connecting", "Signed in; connecting", []],
  ["connecting", "stale channel event", "connecting", "Signed in; connecting", []],
  ["connecting", "tokenRefreshed", "connecting", "Signed in; connecting", []],
  ["connecting", "refreshFailed temporary", "connecting", "Signed in; connecting", ["schedule refresh 1000"]],
  ["connecting", "refreshFailed permanent", "signed-out", "Your session was revoked or expired (refresh_token_not_found). Sign in again.", ["teardown", "forgetSession"]],
  ["connecting", "timer retry", "connecting", "Signed in; connecting", []],
  ["connecting", "timer systemOk", "connecting", "Signed in; connecting", []],
  ["connecting", "timer stuck", "connecting", "Signed in; connecting", []],
  ["connecting", "timer refresh", "connecting", "Signed in; connecting", []],
  ["connecting", "timer probe", "connecting", "Signed in; connecting", []],
  ["connecting", "privatePathBroken", "connecting", "Signed in; connecting", []],
  ["connecting", "privatePathHealthy", "connecting", "Signed in; connecting", []],
  ["live", "start", "connecting", "Restored the saved session; connecting", ["rebuild [shop(feature_flags)]"]],
  ["live", "signInStarted", "connecting", "Signing in…", []],
  ["live", "signInFailed", "signed-out", "Sign-in failed: Invalid login credentials", []],
  ["live", "signedIn", "connecting", "Signed in; connecting", ["rebuild [shop(feature_flags)]"]],
  ["live", "signOut", "signed-out", "Signed out", ["teardown"]],
  ["live", "revoked", "signed-out", "Your session was revoked or expired (Invalid Refresh Token). Sign in again.", ["teardown", "forgetSession"]],
  ["live", "stop", "live", "Connected; listening for requests", ["teardown hard"]],
  ["live", "reconnectNow", "connecting", "Reconnect requested", ["rebuild hard [shop(feature_flags)]"]],
  ["live", "resume", "connecting", "Woke from sleep", ["rebuild refresh hard [shop(feature_flags)]"]],
  ["live", "networkDown", "offline", "The network is down; waiting for it to come back", []],
  ["live", "networkBack", "connecting", "Network came back", ["rebuild hard [shop(feature_flags)]"]],
  ["live", "rebuilt joined", "live", "Connected; listening for requests", []],
  ["live", "rebuilt failed", "live", "Connected; listening for requests", []],
  ["live", "rebuilt refreshTemporary", "live", "Connected; listening for requests", []],
  ["live", "rebuilt revoked", "live", "Connected; listening for requests", []],
  ["live", "socketOpen", "live", "Connected; listening for requests", []],
  ["live", "socketClose", "offline", "Connection lost (socket closed: 1006); reconnecting", ["schedule stuck 30000"]],
  ["live", "socketError", "live", "Connected; listening for requests", []],
  ["live", "heartbeatTimeout", "live", "Connected; listening for requests", []],
  ["live", "reconnectScheduled", "live", "Connected; listening for requests", []],
  ["live", "joined", "connecting", "Joined; waiting for the database to confirm the subscription", ["schedule systemOk 15000"]],
  ["live", "joinRefused PrivateOnly", "live", "Connected; listening for requests", []],
  ["live", "joinRefused token", "degraded", "The server refused channel shop:requests (InvalidJWTToken: Token has expired); retrying in 1 s", ["schedule retry 1000"]],
  ["live", "channelError", "connecting", "Rejoining (socket closed)", ["schedule stuck 30000"]],
  ["live", "joinTimedOut", "degraded", "Joining shop:requests timed out; retrying in 1 s", ["schedule retry 1000"]],
  ["live", "serverClosed", "degraded", "The server closed shop:requests; retrying in 1 s", ["schedule retry 1000"]],
  ["live", "serverClosed spread", "degraded", "The server closed shop:requests; retrying in 3 s", ["schedule retry 2500"]],
  ["live", "joinRefused permission", "degraded", "Joining the fallback (postgres_changes on requests): The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", ["schedule probe 30000", "leave shop", "join feed [session_assignments,feature_flags]"]],
  ["live", "systemOk", "live", "Connected; listening for requests", ["reconcile subscribed"]],
  ["live", "systemError", "degraded", "Database changes are not delivered: Unable to subscribe to changes; retrying in 1 s", ["schedule retry 1000"]],
  ["live", "shutdownNotice", "live", "Connected; listening for requests", []],
  ["live", "stale channel event", "live", "Connected; listening for requests", []],
  ["live", "tokenRefreshed", "live", "Connected; listening for requests", []],
  ["live", "refreshFailed temporary", "live", "Connected; listening for requests", ["schedule refresh 1000"]],
  ["live", "refreshFailed permanent", "signed-out", "Your session was revoked or expired (refresh_token_not_found). Sign in again.", ["teardown", "forgetSession"]],
  ["live", "timer retry", "live", "Connected; listening for requests", []],
  ["live", "timer systemOk", "live", "Connected; listening for requests", []],
  ["live", "timer stuck", "live", "Connected; listening for requests", []],
  ["live", "timer refresh", "live", "Connected; listening for requests", []],
  ["live", "timer probe", "live", "Connected; listening for requests", []],
  ["live", "privatePathBroken", "degraded", "Joining the fallback (postgres_changes on requests): no broadcast for a queue change", ["join feed [session_assignments]"]],
  ["live", "privatePathHealthy", "live", "Connected; listening for requests", []],
  ["degraded", "start", "connecting", "Restored the saved session; connecting", ["cancel retry", "rebuild [shop(feature_flags)]"]],
  ["degraded", "signInStarted", "connecting", "Signing in…", []],
  ["degraded", "signInFailed", "signed-out", "Sign-in failed: Invalid login credentials", ["cancel retry"]],
  ["degraded", "signedIn", "connecting", "Signed in; connecting", ["cancel retry", "rebuild [shop(feature_flags)]"]],
  ["degraded", "signOut", "signed-out", "Signed out", ["cancel retry", "teardown"]],
  ["degraded", "revoked", "signed-out", "Your session was revoked or expired (Invalid Refresh Token). Sign in again.", ["cancel retry", "teardown", "forgetSession"]],
  ["degraded", "stop", "degraded", "Joining shop:requests timed out; retrying in 1 s", ["cancel retry", "teardown hard"]],
  ["degraded", "reconnectNow", "connecting", "Reconnect requested", ["cancel retry", "rebuild hard [shop(feature_flags)]"]],
  ["degraded", "resume", "connecting", "Woke from sleep", ["cancel retry", "rebuild refresh hard [shop(feature_flags)]"]],
  ["degraded", "networkDown", "offline", "The network is down; waiting for it to come back", []],
  ["degraded", "networkBack", "connecting", "Network came back", ["cancel retry", "rebuild hard [shop(feature_flags)]"]],
  ["degraded", "rebuilt joined", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "rebuilt failed", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "rebuilt refreshTemporary", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "rebuilt revoked", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "socketOpen", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "socketClose", "offline", "Connection lost (socket closed: 1006); reconnecting", ["schedule stuck 30000"]],
  ["degraded", "socketError", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "heartbeatTimeout", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "reconnectScheduled", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "joined", "degraded", "Joining shop:requests timed out; retrying in 1 s", ["schedule systemOk 15000"]],
  ["degraded", "joinRefused PrivateOnly", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "joinRefused token", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "channelError", "degraded", "Joining shop:requests timed out; retrying in 1 s", ["schedule stuck 30000"]],
  ["degraded", "joinTimedOut", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "serverClosed", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "serverClosed spread", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "joinRefused permission", "degraded", "Joining shop:requests timed out; retrying in 1 s", ["schedule probe 30000", "leave shop", "join feed [session_assignments,feature_flags]"]],
  ["degraded", "systemOk", "degraded", "Joining shop:requests timed out; retrying in 1 s", ["reconcile subscribed"]],
  ["degraded", "systemError", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "shutdownNotice", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "stale channel event", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "tokenRefreshed", "connecting", "Token refreshed", ["cancel retry", "rebuild [shop(feature_flags)]"]],
  ["degraded", "refreshFailed temporary", "degraded", "Joining shop:requests timed out; retrying in 1 s", ["schedule refresh 1000"]],
  ["degraded", "refreshFailed permanent", "signed-out", "Your session was revoked or expired (refresh_token_not_found). Sign in again.", ["cancel retry", "teardown", "forgetSession"]],
  ["degraded", "timer retry", "connecting", "Joining shop:requests timed out", ["rebuild hard [shop(feature_flags)]"]],
  ["degraded", "timer systemOk", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "timer stuck", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "timer refresh", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "timer probe", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["degraded", "privatePathBroken", "degraded", "Joining shop:requests timed out; retrying in 1 s", ["join feed [session_assignments]"]],
  ["degraded", "privatePathHealthy", "degraded", "Joining shop:requests timed out; retrying in 1 s", []],
  ["offline", "start", "connecting", "Restored the saved session; connecting", ["cancel stuck", "rebuild [shop(feature_flags)]"]],
  ["offline", "signInStarted", "connecting", "Signing in…", []],
  ["offline", "signInFailed", "signed-out", "Sign-in failed: Invalid login credentials", ["cancel stuck"]],
  ["offline", "signedIn", "connecting", "Signed in; connecting", ["cancel stuck", "rebuild [shop(feature_flags)]"]],
  ["offline", "signOut", "signed-out", "Signed out", ["cancel stuck", "teardown"]],
  ["offline", "revoked", "signed-out", "Your session was revoked or expired (Invalid Refresh Token). Sign in again.", ["cancel stuck", "teardown", "forgetSession"]],
  ["offline", "stop", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["cancel stuck", "teardown hard"]],
  ["offline", "reconnectNow", "connecting", "Reconnect requested", ["cancel stuck", "rebuild hard [shop(feature_flags)]"]],
  ["offline", "resume", "connecting", "Woke from sleep", ["cancel stuck", "rebuild refresh hard [shop(feature_flags)]"]],
  ["offline", "networkDown", "offline", "The network is down; waiting for it to come back", []],
  ["offline", "networkBack", "connecting", "Network came back", ["cancel stuck", "rebuild hard [shop(feature_flags)]"]],
  ["offline", "rebuilt joined", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "rebuilt failed", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "rebuilt refreshTemporary", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "rebuilt revoked", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "socketOpen", "live", "Connected; listening for requests", ["cancel stuck"]],
  ["offline", "socketClose", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "socketError", "offline", "Cannot connect to Realtime (ECONNREFUSED); reconnecting in 1 s", []],
  ["offline", "heartbeatTimeout", "offline", "No reply from the server for 2.5 s (dead or half-open link); reconnecting in 1 s", []],
  ["offline", "reconnectScheduled", "offline", "Connection lost (socket closed: 1006); reconnecting in 2 s", []],
  ["offline", "joined", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["schedule systemOk 15000"]],
  ["offline", "joinRefused PrivateOnly", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "joinRefused token", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["schedule retry 1000"]],
  ["offline", "channelError", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "joinTimedOut", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["schedule retry 1000"]],
  ["offline", "serverClosed", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["schedule retry 1000"]],
  ["offline", "serverClosed spread", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["schedule retry 2500"]],
  ["offline", "joinRefused permission", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["schedule probe 30000", "leave shop", "join feed [session_assignments,feature_flags]"]],
  ["offline", "systemOk", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["reconcile subscribed"]],
  ["offline", "systemError", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["schedule retry 1000"]],
  ["offline", "shutdownNotice", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "stale channel event", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "tokenRefreshed", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "refreshFailed temporary", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["schedule refresh 1000"]],
  ["offline", "refreshFailed permanent", "signed-out", "Your session was revoked or expired (refresh_token_not_found). Sign in again.", ["cancel stuck", "teardown", "forgetSession"]],
  ["offline", "timer retry", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "timer systemOk", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "timer stuck", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["schedule stuck 30000"]],
  ["offline", "timer refresh", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "timer probe", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["offline", "privatePathBroken", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", ["join feed [session_assignments]"]],
  ["offline", "privatePathHealthy", "offline", "Connection lost (socket closed: 1006); reconnecting in 1 s", []],
  ["degraded (fallback)", "start", "connecting", "Restored the saved session; connecting", ["rebuild [shop(feature_flags) feed(session_assignments)]"]],
  ["degraded (fallback)", "signInStarted", "connecting", "Signing in…", []],
  ["degraded (fallback)", "signInFailed", "signed-out", "Sign-in failed: Invalid login credentials", []],
  ["degraded (fallback)", "signedIn", "connecting", "Signed in; connecting", ["rebuild [shop(feature_flags) feed(session_assignments)]"]],
  ["degraded (fallback)", "signOut", "signed-out", "Signed out", ["teardown"]],
  ["degraded (fallback)", "revoked", "signed-out", "Your session was revoked or expired (Invalid Refresh Token). Sign in again.", ["teardown", "forgetSession"]],
  ["degraded (fallback)", "stop", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", ["teardown hard"]],
  ["degraded (fallback)", "reconnectNow", "connecting", "Reconnect requested", ["rebuild hard [shop(feature_flags) feed(session_assignments)]"]],
  ["degraded (fallback)", "resume", "connecting", "Woke from sleep", ["rebuild refresh hard [shop(feature_flags) feed(session_assignments)]"]],
  ["degraded (fallback)", "networkDown", "offline", "The network is down; waiting for it to come back", []],
  ["degraded (fallback)", "networkBack", "connecting", "Network came back", ["rebuild hard [shop(feature_flags) feed(session_assignments)]"]],
  ["degraded (fallback)", "rebuilt joined", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "rebuilt failed", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "rebuilt refreshTemporary", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "rebuilt revoked", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "socketOpen", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "socketClose", "offline", "Connection lost (socket closed: 1006); reconnecting", ["schedule stuck 30000"]],
  ["degraded (fallback)", "socketError", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "heartbeatTimeout", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "reconnectScheduled", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "joined", "degraded", "Joining the fallback (postgres_changes on requests): no broadcast for a queue change", ["schedule systemOk 15000"]],
  ["degraded (fallback)", "joinRefused PrivateOnly", "connecting", "This project allows private channels only; joining the private channel alone", ["rebuild [shop(session_assignments,feature_flags)]"]],
  ["degraded (fallback)", "joinRefused token", "degraded", "The server refused channel shop:requests (InvalidJWTToken: Token has expired); retrying in 1 s", ["schedule retry 1000"]],
  ["degraded (fallback)", "channelError", "degraded", "Joining the fallback (postgres_changes on requests): no broadcast for a queue change", ["schedule stuck 30000"]],
  ["degraded (fallback)", "joinTimedOut", "degraded", "Joining shop:requests timed out; retrying in 1 s", ["schedule retry 1000"]],
  ["degraded (fallback)", "serverClosed", "degraded", "The server closed shop:requests; retrying in 1 s", ["schedule retry 1000"]],
  ["degraded (fallback)", "serverClosed spread", "degraded", "The server closed shop:requests; retrying in 3 s", ["schedule retry 2500"]],
  ["degraded (fallback)", "joinRefused permission", "connecting", "Switching to postgres_changes on session_requests_feed (The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests))", ["schedule probe 30000", "rebuild [feed(session_assignments,feature_flags)]"]],
  ["degraded (fallback)", "systemOk", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", ["reconcile subscribed"]],
  ["degraded (fallback)", "systemError", "degraded", "Database changes are not delivered: Unable to subscribe to changes; retrying in 1 s", ["schedule retry 1000"]],
  ["degraded (fallback)", "shutdownNotice", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "stale channel event", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "tokenRefreshed", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "refreshFailed temporary", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", ["schedule refresh 1000"]],
  ["degraded (fallback)", "refreshFailed permanent", "signed-out", "Your session was revoked or expired (refresh_token_not_found). Sign in again.", ["teardown", "forgetSession"]],
  ["degraded (fallback)", "timer retry", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "timer systemOk", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "timer stuck", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "timer refresh", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "timer probe", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "privatePathBroken", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: no broadcast for a queue change", []],
  ["degraded (fallback)", "privatePathHealthy", "live", "Connected; listening for requests", ["leave feed"]],
  ["degraded (refused)", "start", "connecting", "Restored the saved session; connecting", ["rebuild [feed(session_assignments,feature_flags)]"]],
  ["degraded (refused)", "signInStarted", "connecting", "Signing in…", []],
  ["degraded (refused)", "signInFailed", "signed-out", "Sign-in failed: Invalid login credentials", ["cancel probe"]],
  ["degraded (refused)", "signedIn", "connecting", "Signed in; connecting", ["rebuild [feed(session_assignments,feature_flags)]"]],
  ["degraded (refused)", "signOut", "signed-out", "Signed out", ["cancel probe", "teardown"]],
  ["degraded (refused)", "revoked", "signed-out", "Your session was revoked or expired (Invalid Refresh Token). Sign in again.", ["cancel probe", "teardown", "forgetSession"]],
  ["degraded (refused)", "stop", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", ["cancel probe", "teardown hard"]],
  ["degraded (refused)", "reconnectNow", "connecting", "Reconnect requested", ["cancel probe", "rebuild hard [shop(feature_flags)]"]],
  ["degraded (refused)", "resume", "connecting", "Woke from sleep", ["rebuild refresh hard [feed(session_assignments,feature_flags)]"]],
  ["degraded (refused)", "networkDown", "offline", "The network is down; waiting for it to come back", []],
  ["degraded (refused)", "networkBack", "connecting", "Network came back", ["rebuild hard [feed(session_assignments,feature_flags)]"]],
  ["degraded (refused)", "rebuilt joined", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "rebuilt failed", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "rebuilt refreshTemporary", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "rebuilt revoked", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "socketOpen", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "socketClose", "offline", "Connection lost (socket closed: 1006); reconnecting", ["schedule stuck 30000"]],
  ["degraded (refused)", "socketError", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "heartbeatTimeout", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "reconnectScheduled", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "joined", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "joinRefused PrivateOnly", "connecting", "This project allows private channels only; joining the private channel alone", ["rebuild [shop(session_assignments,feature_flags)]"]],
  ["degraded (refused)", "joinRefused token", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "channelError", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "joinTimedOut", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "serverClosed", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "serverClosed spread", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "joinRefused permission", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "systemOk", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "systemError", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "shutdownNotice", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "stale channel event", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "tokenRefreshed", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "refreshFailed temporary", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", ["schedule refresh 1000"]],
  ["degraded (refused)", "refreshFailed permanent", "signed-out", "Your session was revoked or expired (refresh_token_not_found). Sign in again.", ["cancel probe", "teardown", "forgetSession"]],
  ["degraded (refused)", "timer retry", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "timer systemOk", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "timer stuck", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "timer refresh", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "timer probe", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", ["join shop [feature_flags]"]],
  ["degraded (refused)", "privatePathBroken", "degraded", "Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (Unauthorized: You do not have permissions to read from this Channel topic: shop:requests)", []],
  ["degraded (refused)", "privatePathHealthy", "connecting", "Joining channels…", ["cancel probe", "leave feed", "join shop [feature_flags]"]],
]

/** Every event type of LinkEvent: the table must exercise each in every state. */
const EVENT_TYPES: LinkEvent['type'][] = [
  'start', 'signInStarted', 'signInFailed', 'signedIn', 'signOut', 'revoked', 'stop', 'reconnectNow', 'resume', 'networkDown',
  'networkBack', 'rebuilt', 'socketOpen', 'socketClose', 'socketError', 'heartbeatTimeout', 'reconnectScheduled', 'joined',
  'joinRefused', 'channelError', 'joinTimedOut', 'serverClosed', 'systemOk', 'systemError', 'shutdownNotice', 'tokenRefreshed',
  'refreshFailed', 'timerFired', 'privatePathBroken', 'privatePathHealthy',
]

describe('link transition table', () => {
  it('the fixtures are the five named states (degraded three times: a retry pending, on the fallback, the private channel refused)', () => {
    expect(Object.fromEntries(Object.entries(STATES).map(([k, m]) => [k, m.name]))).toEqual({
      'signed-out': 'signed-out',
      connecting: 'connecting',
      live: 'live',
      degraded: 'degraded',
      offline: 'offline',
      'degraded (fallback)': 'degraded',
      'degraded (refused)': 'degraded',
    })
  })

  it('covers every state × every event', () => {
    for (const state of Object.keys(STATES) as (keyof typeof STATES)[]) {
      const events = eventsFor(STATES[state])
      const rows = TABLE.filter((r) => r[0] === state).map((r) => r[1])
      expect(rows.sort()).toEqual(Object.keys(events).sort())
      expect(new Set(Object.values(events).map((e) => e.type))).toEqual(new Set(EVENT_TYPES))
    }
  })

  it('TIMER_NAMES (the timers a host must be able to arm) are exactly the timers the table schedules', () => {
    const armed = new Set(TABLE.flatMap((r) => r[4]).filter((f) => f.startsWith('schedule ')).map((f) => f.split(' ')[1]))
    expect(new Set(TIMER_NAMES)).toEqual(armed)
    expect(TIMER_NAMES).toHaveLength(armed.size)
  })

  it.each(TABLE)('%s + %s → %s (%s)', (state, event, nextName, nextReason, effects) => {
    const m = STATES[state]
    const t = transition(m, eventsFor(m)[event]!, 0.5)
    expect(t.state.name).toBe(nextName)
    expect(t.state.reason).toBe(nextReason)
    expect(t.effects.filter((f) => f.type !== 'log' && f.type !== 'emitState').map(short)).toEqual(effects)
    // The state is announced exactly when it changes.
    const emitted = t.effects.filter((f) => f.type === 'emitState')
    const changed = t.state.name !== m.name || t.state.reason !== m.reason
    expect(emitted).toEqual(changed ? [{ type: 'emitState', name: nextName, reason: nextReason }] : [])
  })
})
