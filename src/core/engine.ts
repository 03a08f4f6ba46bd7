// The engine: link supervisor + feed + state core (store, desk, alert pipeline, health), behind the
// small command surface of engine-api.ts. Data flows one way — link → feed → desk → alerts → sinks —
// and the hosts (Electron main, headless CLI, tests) only see EngineHandle.
import { join } from 'node:path'
import type { AcceptResult, EngineSnapshot, HealthSummary, HistoryEntry, LinkState, PauseRequest } from '../shared/types.js'
import { DEFAULT_FLAGS, OUTAGE_ALARM_ID } from '../shared/types.js'
import type { EngineConfig, EngineEvents, EngineHandle, EnginePorts } from './engine-api.js'
import type { Alert, Clock } from './ports.js'
import { systemClock } from './ports.js'
import { SERVER_TEXT_MAX, serverText } from './server-text.js'
import { openStateCore, type StateCore, type StateCoreOptions } from './desk/state-core.js'
import { openWithRetry, STORE_OPEN_BACKOFF } from './store/open-retry.js'
import { isUuid } from './feed/parse.js'
import { LinkSupervisor, type LinkConfig } from './link/supervisor.js'
import { callAccept } from './outbox/accept-call.js'
import { Outbox } from './outbox/outbox.js'
import { OutboxTable } from './store/outbox-table.js'
import { HistoryRecorder } from './history/history-recorder.js'
import { HistoryTable } from './store/history-table.js'
import { TimerRegistry } from './link/timers.js'
import { Feed, type DeliveryPaths } from './feed/feed.js'
import { CheckInLoop, type PrivatePathReporter } from './feed/check-in.js'
import { DEFAULT_JOIN_BUDGET_PER_SEC, joinWindowMs } from './link/join-window.js'
import { TakenNotices } from './taken-notices.js'
import { acceptAnswer } from './accept-answer.js'
import { Escalator } from './desk/escalator.js'
import { DEFAULT_ESCALATION } from './desk/escalation.js'
import { systemTimers } from './desk/timers.js'
import { WatchKeeper } from './workstation-watch.js'
import { OutageAlarm } from './health/outage-alarm.js'
import { announceAlertPath } from './health/alert-path-announcer.js'

/** Knobs for tests and benchmarks; production uses the defaults. */
export interface EngineTuning {
  link?: Partial<Omit<LinkConfig, 'supabaseUrl' | 'anonKey'>>
  /** How long a first alert may wait for details (default 600 ms). */
  firstWaitMs?: number
  detailsTimeoutMs?: number
  detailsMaxAttempts?: number
  reconcileTimeoutMs?: number
  /** Check-in period: heartbeat row + queue version + flags (default config.safetyReconcileMs, else 60 s; 0 disables, and the safety reconcile stays on). */
  workstationHeartbeatMs?: number
  /** After a queue version moved with no private broadcast, how long to wait for it (default min(5 s, period / 2)). */
  checkInGraceMs?: number
  stateCore?: Partial<Omit<StateCoreOptions, 'dbPath' | 'sinks' | 'log' | 'clock'>>
  random?: () => number
  /** Delivery paths (default all on); the bench runs each alone. */
  paths?: Partial<DeliveryPaths>
  /** Public-topic hints: wait before deciding (default 300 ms), at most one hint-triggered read per (default 10 s). */
  hintDebounceMs?: number
  hintMinIntervalMs?: number
}

type Listeners = { [E in keyof EngineEvents]: Set<(p: EngineEvents[E]) => void> }

const EMPTY_HEALTH: HealthSummary = {
  counters: {},
  latencyMs: { p50: null, p95: null, p99: null, count: 0 },
  fetchFailureRate: 0,
  sinkFailureRate: 0,
  degradedReason: null,
}

export class Engine implements EngineHandle {
  core: StateCore | null = null
  link: LinkSupervisor | null = null
  feed: Feed | null = null
  readonly timers = new TimerRegistry()
  private readonly clock: Clock
  private readonly listeners: Listeners = { snapshot: new Set(), alert: new Set(), update: new Set(), retract: new Set(), state: new Set(), health: new Set(), error: new Set() }
  private started: Promise<void> | null = null
  private stopped = false
  private displayed: LinkState
  private reconcileProblem: string | null = null
  private snapshotQueued = false
  checkIn: CheckInLoop | null = null
  outbox: Outbox | null = null
  private historyRecorder: HistoryRecorder | null = null
  escalator: Escalator | null = null
  watch: WatchKeeper | null = null
  private readonly offs: (() => void)[] = []
  private readonly taken = new TakenNotices()
  private outage: OutageAlarm | null = null
  private cancelTakenExpiry: (() => void) | null = null

  constructor(
    readonly config: EngineConfig,
    private readonly ports: EnginePorts,
    private readonly tuning: EngineTuning = {},
  ) {
    this.clock = ports.clock ?? systemClock
    this.displayed = { state: 'connecting', reason: 'Starting…', since: this.clock.now() }
  }

  // --- lifecycle ------------------------------------------------------------------------------------

  start(): Promise<void> {
    this.started ??= this.doStart()
    return this.started
  }

  private async doStart(): Promise<void> {
    const { config, ports, tuning } = this
    const log = ports.log
    const openCore = (): StateCore =>
      openStateCore({
        ...tuning.stateCore,
        dbPath: join(config.dataDir, 'bayalert.db'),
        nativeBinding: config.sqliteNativeBinding,
        sinks: ports.sinks,
        log,
        clock: this.clock,
        repeatIntervalMs: config.repeatIntervalMs ?? tuning.stateCore?.repeatIntervalMs,
        repeatMaxCount: config.repeatMaxCount ?? tuning.stateCore?.repeatMaxCount,
        ...(config.urgency ? { urgency: config.urgency } : {}),
      })
    let core: StateCore | null
    try {
      // A store that cannot open for a reason that can pass (locked, no permission, disk full) is tried again
      // with backoff, offline with the reason meanwhile; start() resolves once it opened (or the engine stopped).
      core = await openWithRetry({
        open: openCore,
        timers: this.timers,
        policy: tuning.stateCore?.storeRetry ?? STORE_OPEN_BACKOFF,
        random: tuning.random,
        failed: (reason, attempt, retryInMs) => this.storeOpenFailed(reason, attempt, retryInMs),
      })
    } catch (e) {
      const message = `Cannot open the local store in ${config.dataDir}: ${(e as Error)?.message ?? e}`
      log.error('engine: store failed to open', { cause: message })
      this.emit('error', { message, cause: String((e as Error)?.stack ?? e) })
      throw new Error(message, { cause: e })
    }
    if (core === null) return // stopped while waiting for the store
    this.core = core
    const { desk, health } = core
    this.outage = new OutageAlarm({
      clock: this.clock,
      timers: this.timers,
      log,
      ring: (text) => health.announce('not-receiving', text),
      changed: () => this.queueSnapshot(),
      afterMs: config.outageAlertAfterMs,
      repeatMs: config.repeatIntervalMs,
      maxRepeats: config.repeatMaxCount,
    })
    this.outage.update(this.displayed, false)
    const escalator = new Escalator({
      clock: this.clock,
      timers: tuning.stateCore?.timers ?? systemTimers,
      log,
      tuning: {
        afterMs: config.escalateAfterMs ?? DEFAULT_ESCALATION.afterMs,
        belowLive: config.escalateBelowLive ?? DEFAULT_ESCALATION.belowLive,
        repeatMs: config.escalatedRepeatMs ?? DEFAULT_ESCALATION.repeatMs,
      },
      queue: () => desk.queue(),
      ring: (alert) => desk.ringEscalated(alert),
      count: (key) => health.count(key),
    })
    this.escalator = escalator
    this.offs.push(
      // Every change that can start, stop or silence an escalation: the queue, a pause, the flags.
      desk.on('queue', () => escalator.evaluate()),
      desk.on('pause', () => escalator.evaluate()),
      desk.on('flags', () => escalator.evaluate()),
    )
    this.offs.push(
      desk.on('queue', (items) => {
        this.taken.rememberQueue(items)
        this.queueSnapshot()
      }),
      desk.on('alert', (a) => this.emit('alert', a)),
      desk.on('update', (a) => this.emit('update', a)),
      desk.on('retract', (r) => {
        if (this.taken.retracted(r, this.clock.now())) this.takenChanged()
        this.emit('retract', r)
      }),
      desk.on('pause', () => this.queueSnapshot()),
      desk.on('flags', () => this.queueSnapshot()),
      desk.on('notice', () => this.refreshState()),
      health.on((e) => {
        if (e.type === 'alert') this.emit('alert', e.alert)
        else {
          this.emit('health', e.summary)
          this.refreshState()
        }
      }),
    )
    if (ports.alertPath) this.offs.push(announceAlertPath({ source: ports.alertPath, health, withdraw: (key) => core.pipeline.withdraw(key), log }))
    this.openHistory()
    desk.start()

    // joinWindowMs: read by the link before it rejoins after losing the server (LinkConfig's optional hook).
    const linkConfig: LinkConfig & { joinWindowMs?: () => number } = {
      supabaseUrl: config.supabaseUrl,
      anonKey: config.anonKey,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      random: tuning.random,
      joinWindowMs: () => this.joinWindowMs(),
      ...tuning.link,
    }
    const link = new LinkSupervisor(linkConfig, { secrets: ports.secrets, log, clock: this.clock })
    this.link = link
    this.feed = new Feed({
      link,
      client: link.client,
      desk,
      store: this.core.store,
      health,
      log,
      clock: this.clock,
      timers: this.timers,
      firstWaitMs: tuning.firstWaitMs,
      safetyReconcileMs: config.safetyReconcileMs,
      detailsTimeoutMs: tuning.detailsTimeoutMs,
      detailsMaxAttempts: tuning.detailsMaxAttempts,
      reconcileTimeoutMs: tuning.reconcileTimeoutMs,
      random: tuning.random,
      paths: tuning.paths,
      hintDebounceMs: tuning.hintDebounceMs,
      hintMinIntervalMs: tuning.hintMinIntervalMs,
      onProblem: (reason) => {
        this.reconcileProblem = reason
        this.refreshState()
      },
    })
    const feed = this.feed
    const checkInPeriodMs = tuning.workstationHeartbeatMs ?? config.safetyReconcileMs ?? 60_000
    const watch = new WatchKeeper({
      clock: this.clock,
      log,
      count: (key) => health.count(key),
      // Three periods: one late or failed check-in is not yet a dead workstation.
      silentAfterMs: 3 * checkInPeriodMs,
      escalator,
      changed: () => this.queueSnapshot(),
    })
    this.watch = watch
    this.checkIn = new CheckInLoop({
      client: link.client,
      log,
      clock: this.clock,
      timers: this.timers,
      // How often the workstation makes sure its queue is the server's: the check-in now does what the safety
      // reconcile timer did, so a host's safetyReconcileMs sets its period too.
      periodMs: tuning.workstationHeartbeatMs ?? config.safetyReconcileMs,
      graceMs: tuning.checkInGraceMs,
      count: (key) => health.count(key),
      userId: () => link.currentUser?.id ?? null,
      row: () => ({
        workstation_id: config.workstationId,
        app_version: config.appVersion,
        state: this.displayed.state,
        reason: this.displayed.reason.slice(0, 500),
        counters: health.summary().counters,
      }),
      linkLive: () => link.state.state === 'live',
      reconcile: (trigger) => feed.reconcile(trigger),
      useCheckIn: (on) => feed.useCheckIn(on),
      applyFlagRows: (rows) => feed.applyFlagRows(rows),
      applyRoster: (roster) => watch.apply(roster),
      watchArgs: () => watch.args(),
      // The link's fallback hooks, where this link has them.
      privatePath: link as unknown as PrivatePathReporter,
    })
    const checkIn = this.checkIn
    const outbox = this.openOutbox(link, health)
    let up = false
    this.offs.push(
      link.on('state', (s) => {
        if (s.state !== 'live') checkIn.interrupted()
        // Claims replay when the link comes up, not on every new reason of a state that stays up.
        const nowUp = s.state === 'live' || s.state === 'degraded'
        if (nowUp && !up) outbox.linkUp()
        up = nowUp
        this.refreshState()
      }),
      link.on('broadcast', (source) => {
        if (source === 'db-broadcast') checkIn.broadcast()
      }),
      link.on('user', (u) => {
        if (u) {
          this.feed?.enable('startup')
          checkIn.start(2000)
          outbox.linkUp()
        } else {
          this.feed?.disable()
          checkIn.pause()
          watch.clear()
        }
        this.queueSnapshot()
      }),
    )
    await link.start()
    this.refreshState()
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.timers.closeAll()
    this.checkIn?.stop()
    this.outbox?.stop()
    this.escalator?.stop()
    this.outage?.stop()
    // Only waiting for start to settle: its rejection went to start()'s own caller (and a store failure was logged above).
    await this.started?.catch(() => {})
    this.feed?.stop()
    await this.link?.stop()
    for (const off of this.offs.splice(0)) off()
    try {
      this.core?.close()
    } catch (e) {
      this.ports.log.error('engine: closing the store failed', { cause: String(e) })
    }
  }

  // --- commands ---------------------------------------------------------------------------------------

  async signIn(email: string, password: string): Promise<void> {
    await this.start()
    await this.need().signIn(email, password)
  }

  async signOut(): Promise<void> {
    await this.need().signOut()
  }

  async acknowledge(requestId: string): Promise<void> {
    if (requestId === OUTAGE_ALARM_ID) return this.outage?.acknowledge()
    this.core?.desk.acknowledge(requestId)
  }

  /**
   * Claims a request with `rpc accept_request` (atomic on the server: exactly one mechanic wins). While the link is
   * down, or when the call gets no answer, the claim goes to the outbox and is replayed when the link is back
   * (`{ok: true, queued: true}`); while older claims wait there, a new one queues behind them so they replay in
   * order. The queue updates through the normal paths (postgres_changes/broadcast); a reconcile follows in case
   * realtime is down.
   */
  async accept(requestId: string): Promise<AcceptResult> {
    const link = this.link
    const outbox = this.outbox
    if (!link || !outbox || !link.currentUser) return { ok: false, reason: 'offline', message: 'Not signed in.' }
    if (!isUuid(requestId)) return { ok: false, reason: 'not-found', message: 'That is not a request id.' }
    const name = () => this.core?.desk.queue().find((q) => q.requestId === requestId)?.details.customerName ?? null
    if (!this.canSendClaims() || outbox.pendingCount > 0) {
      outbox.enqueue(requestId, name())
      outbox.kick()
      return { ok: true, queued: true }
    }
    const outcome = await callAccept(link.client, requestId)
    if (outcome.kind === 'temporary') {
      outbox.enqueue(requestId, name(), outcome.why)
      return { ok: true, queued: true }
    }
    this.feed?.reconcile('manual')
    if (outcome.kind === 'done' || outcome.kind === 'taken') this.historyRecorder?.claimed(requestId, outcome.kind === 'done', outcome.kind === 'taken' ? outcome.takenBy : null)
    if (outcome.answer === undefined) {
      // No answer to read: the call itself was refused (permission, a missing function).
      this.ports.log.warn('engine: accept refused', { requestId, cause: outcome.kind === 'refused' ? outcome.message : outcome.kind })
      return { ok: false, reason: 'error', message: outcome.kind === 'refused' ? outcome.message : 'Could not accept.' }
    }
    return acceptAnswer(outcome.answer)
  }

  /** Claims are sent while signed in and the link is up (live, or degraded but reaching the server). */
  private canSendClaims(): boolean {
    const link = this.link
    return !!link?.currentUser && (link.state.state === 'live' || link.state.state === 'degraded')
  }

  /** The last day's requests, newest first: source, first ring and its latency, what each sink did, who took it. */
  async history(): Promise<HistoryEntry[]> {
    if (this.stopped) return []
    return this.historyRecorder?.list() ?? []
  }

  private openHistory(): void {
    const { store, desk, health } = this.core!
    const recorder = new HistoryRecorder(store.prepareTable((connection) => new HistoryTable(connection)), this.clock, this.ports.log, (k) => health.count(k))
    this.historyRecorder = recorder
    this.offs.push(
      desk.on('queue', (items) => recorder.queue(items)),
      desk.on('alert', (a) => recorder.alert(a)),
      desk.on('retract', (r) => recorder.retract(r.requestId, r.why, r.takenBy ?? null)),
    )
  }

  private openOutbox(link: LinkSupervisor, health: StateCore['health']): Outbox {
    this.outbox = new Outbox({
      table: this.core!.store.prepareTable((connection) => new OutboxTable(connection)),
      send: (requestId) => callAccept(link.client, requestId),
      canSend: () => this.canSendClaims(),
      timers: this.timers,
      clock: this.clock,
      log: this.ports.log,
      count: (key) => health.count(key),
      changed: () => this.queueSnapshot(),
      settled: (e) => {
        if (e.state === 'done' || e.state === 'conflict') this.historyRecorder?.claimed(e.requestId, e.state === 'done', e.takenBy)
        this.feed?.reconcile('manual')
      },
      random: this.tuning.random,
    })
    return this.outbox
  }

  async pause(request: PauseRequest): Promise<void> {
    this.core?.desk.pause(request)
  }

  async resume(): Promise<void> {
    this.core?.desk.resume()
  }

  async reconnectNow(): Promise<void> {
    this.link?.reconnectNow()
    this.feed?.reconcile('manual')
  }

  notifyResume(): void {
    this.link?.notifyResume()
    this.feed?.reconcile('resume')
  }

  notifySuspend(): void {
    this.link?.notifySuspend()
  }

  notifyNetworkChange(online: boolean): void {
    this.link?.notifyNetworkChange(online)
    if (online) this.feed?.reconcile('network')
  }

  on<E extends keyof EngineEvents>(event: E, listener: (payload: EngineEvents[E]) => void): () => void {
    const set = this.listeners[event] as Set<(p: EngineEvents[E]) => void>
    set.add(listener)
    return () => set.delete(listener)
  }

  snapshot(): EngineSnapshot {
    const core = this.core
    if (!core) {
      return { link: this.displayed, queue: [], flags: { ...DEFAULT_FLAGS }, paused: null, user: null, health: EMPTY_HEALTH }
    }
    return {
      link: this.displayed,
      queue: core.desk.queue(),
      flags: core.desk.flags(),
      paused: core.desk.paused(),
      user: this.link?.currentUser?.email ?? null,
      health: core.health.summary(),
      outbox: this.outbox?.entries() ?? [],
      taken: this.taken.current(this.clock.now()),
      outage: this.outage?.view() ?? null,
      workstations: this.watch?.watch ?? null,
    }
  }

  /** A "taken by" notice appeared: a snapshot now, and another when the oldest one expires. */
  private takenChanged(): void {
    this.queueSnapshot()
    this.cancelTakenExpiry?.()
    const at = this.taken.nextExpiry()
    if (at === null) return
    this.cancelTakenExpiry = this.timers.after(at - this.clock.now(), () => {
      this.cancelTakenExpiry = null
      this.takenChanged()
    })
  }

  // --- state --------------------------------------------------------------------------------------------

  /** The link's state, overlaid with the engine's own troubles: a live link that cannot read the queue is degraded. */
  private refreshState(): void {
    if (this.stopped && this.displayed.state !== 'signed-out') return
    const base = this.link?.state ?? this.displayed
    let next: LinkState = base
    // A problem of the feed (reads failing, changes refused) is shown whenever requests are arriving: on the
    // live path alone, or beside the reason of a link receiving on its fallback.
    if (base.state === 'live' || (base.state === 'degraded' && this.link?.receiving)) {
      const problem = this.reconcileProblem ?? this.core?.health.degradedReason() ?? null
      if (problem) {
        const reason = base.state === 'live' ? problem : `${problem} (${base.reason})`
        next = { state: 'degraded', reason, since: this.displayed.state === 'degraded' ? this.displayed.since : this.clock.now() }
      }
    }
    // A long offline start: the state says that the restored queue is not confirmed (cleared by the
    // first successful reconcile).
    const notice = this.core?.desk.notice() ?? null
    if (notice && next.state !== 'live') next = { ...next, reason: `${next.reason} — ${notice}` }
    // The one line every host shows: whatever server text reached it, it leaves here cleaned.
    next = { ...next, reason: serverText(next.reason, 2 * SERVER_TEXT_MAX + 200) || next.state }
    if (next.state !== this.displayed.state || next.reason !== this.displayed.reason) {
      this.displayed = next
      this.outage?.update(next, this.link?.receiving ?? false)
      this.emit('state', this.displayed)
      this.queueSnapshot()
    }
  }

  /** The store did not open (locked, no permission, disk full): offline with the reason, one health alert, and the retries go on. */
  private storeOpenFailed(reason: string, attempt: number, retryInMs: number): void {
    const log = this.ports.log
    log.error('engine: the local store cannot open; trying again', { dataDir: this.config.dataDir, cause: reason, attempt, retryInMs })
    this.displayed = { state: 'offline', reason: `Local store cannot open: ${reason} — trying again`, since: attempt === 1 ? this.clock.now() : this.displayed.since }
    this.emit('state', this.displayed)
    this.queueSnapshot()
    if (attempt > 1) return
    this.emit('error', { message: `Cannot open the local store in ${this.config.dataDir}: ${reason}`, cause: reason })
    const alert: Alert = {
      kind: 'health',
      title: 'BayAlert cannot open its local store',
      body: `${reason}. It is not ringing for new requests until it can; it keeps trying by itself.`,
      detail: 'basic',
      items: [],
      latencyMs: null,
    }
    this.emit('alert', alert)
    // No alert pipeline without a store: straight to every sink, each failure logged on its own.
    for (const sink of this.ports.sinks) {
      Promise.resolve()
        .then(() => sink.alert(alert))
        .catch((e) => log.error('engine: a sink failed to deliver the store alert', { sink: sink.name, cause: String((e as Error)?.message ?? e) }))
    }
  }

  private queueSnapshot(): void {
    if (this.snapshotQueued || this.stopped) return
    this.snapshotQueued = true
    queueMicrotask(() => {
      this.snapshotQueued = false
      if (this.stopped) return
      try {
        this.emit('snapshot', this.snapshot())
      } catch (e) {
        this.ports.log.error('engine: snapshot failed', { cause: String(e) })
      }
    })
  }

  /** How long the link may spread its rejoins over: sized by the shop's workstations at the last check-in. */
  joinWindowMs(): number {
    // Each workstation rejoins every channel it has now (one per topic in the link's layout).
    const joins = Math.max(1, this.link?.channelLayout.channels.length ?? 1)
    return joinWindowMs(this.checkIn?.workstations ?? 0, this.config.joinBudgetPerSec ?? DEFAULT_JOIN_BUDGET_PER_SEC, joins)
  }

  // --- check-in ---------------------------------------------------------------------------------------

  /** One check-in now (heartbeat row, queue version, flags). Resolves true when the server recorded the heartbeat. */
  async sendHeartbeat(): Promise<boolean> {
    return (await this.checkIn?.tick()) ?? false
  }

  private need(): LinkSupervisor {
    if (!this.link) throw new Error('The engine is not started.')
    return this.link
  }

  private emit<E extends keyof EngineEvents>(event: E, payload: EngineEvents[E]): void {
    for (const l of [...this.listeners[event]] as ((p: EngineEvents[E]) => void)[]) {
      try {
        l(payload)
      } catch (e) {
        this.ports.log.error(`engine: ${event} listener threw`, { cause: String((e as Error)?.stack ?? e) })
      }
    }
  }
}

export function createEngine(config: EngineConfig, ports: EnginePorts, tuning?: EngineTuning): EngineHandle {
  return new Engine(config, ports, tuning)
}
