// The chaos run's schedule, drawn from one seed: when each customer arrives, what becomes of the request (stays
// queued, taken by a mechanic, cancelled by the shop) and when, and which fault hits when, for how long, and which
// workstation. Everything random in a run comes from here, so a seed replays the same run (timing on a busy
// machine aside: what the workstations observe can differ, what is done to them cannot).
import { fakeCustomer, rng, type Customer } from '../../test/backend/simulate.js'

/** Every fault class the run injects; a short run injects each at least once. */
export const FAULT_CLASSES = [
  'socketDrop',
  'halfOpen',
  'refusedConnections',
  'realtimeRestart',
  'postgresRestart',
  'rest5xx',
  'restLatency',
  'rlsDeniesDetails',
  'tokenExpiry',
  'duplicatedEvents',
  'reorderedEvents',
  'storeLocked',
  'workstationKill',
] as const
export type FaultClass = (typeof FAULT_CLASSES)[number]

/** Faults aimed at one workstation (the others are the backend's, felt by all). */
export const PER_WORKSTATION: ReadonlySet<FaultClass> = new Set(['storeLocked', 'workstationKill'])

export interface PlannedRequest {
  index: number
  /** ms after the run's start. */
  at: number
  customer: Customer
  fate: 'stays' | 'taken' | 'cancelled'
  /** ms after `at` when it is taken or cancelled (0 for 'stays'). */
  after: number
  /** Which demo mechanic (0..2) takes it. */
  takenBy: number
}

export interface PlannedFault {
  index: number
  at: number
  fault: FaultClass
  /** How long it lasts (ms); for instantaneous faults, how long its effects are watched for. */
  durationMs: number
  /** The workstation it hits (per-workstation classes), else null. */
  workstation: number | null
  /** The kind of realtime message a duplicate/reorder fault applies to. */
  messageKind: 'broadcast' | 'postgres_changes'
}

export interface Plan {
  seed: number
  requests: PlannedRequest[]
  faults: PlannedFault[]
  /** When the last planned thing happens (ms after start). */
  endsAt: number
}

export interface PlanOptions {
  seed: number
  requests: number
  workstations: number
  /** Mean gap between two arrivals (ms). */
  arrivalGapMs?: number
  /** Mean gap between two faults (ms). */
  faultGapMs?: number
}

export function makePlan(o: PlanOptions): Plan {
  if (!Number.isInteger(o.requests) || o.requests < 1) throw new Error(`requests must be a whole number ≥ 1, got ${o.requests}`)
  if (!Number.isInteger(o.workstations) || o.workstations < 1) throw new Error(`workstations must be a whole number ≥ 1, got ${o.workstations}`)
  const rand = rng(o.seed)
  const gap = o.arrivalGapMs ?? 800
  const faultGap = o.faultGapMs ?? 3000
  const between = (lo: number, hi: number) => Math.round(lo + rand() * (hi - lo))

  const requests: PlannedRequest[] = []
  let t = 1000
  for (let i = 0; i < o.requests; i++) {
    // Exponential gaps (a Poisson stream of customers), capped so one draw cannot stall a short run.
    t += Math.round(Math.min(-Math.log(1 - rand()) * gap, gap * 5))
    const roll = rand()
    const fate: PlannedRequest['fate'] = roll < 0.35 ? 'stays' : roll < 0.75 ? 'taken' : 'cancelled'
    // Mostly after a ring had every chance; one in five early, before a deaf workstation could have heard it.
    const after = fate === 'stays' ? 0 : rand() < 0.2 ? between(200, 3000) : between(4000, 20_000)
    requests.push({ index: i, at: t, customer: fakeCustomer(rand), fate, after, takenBy: Math.floor(rand() * 3) })
  }
  const arrivalsEnd = t

  // Every class once (in a seeded order), then classes at random; spread evenly over the arrivals with jitter.
  const count = Math.max(FAULT_CLASSES.length, Math.round(arrivalsEnd / faultGap))
  const order: FaultClass[] = shuffle([...FAULT_CLASSES], rand)
  while (order.length < count) order.push(FAULT_CLASSES[Math.floor(rand() * FAULT_CLASSES.length)]!)
  const span = Math.max(arrivalsEnd - 2000, count * 1000)
  const faults: PlannedFault[] = order.map((fault, i) => ({
    index: i,
    at: 2000 + Math.round(((i + rand() * 0.8) * span) / count),
    fault,
    durationMs: durationOf(fault, between),
    workstation: PER_WORKSTATION.has(fault) ? Math.floor(rand() * o.workstations) : null,
    messageKind: rand() < 0.5 ? 'broadcast' : 'postgres_changes',
  }))
  const removalsEnd = Math.max(...requests.map((r) => r.at + r.after))
  const faultsEnd = Math.max(...faults.map((f) => f.at + f.durationMs))
  return { seed: o.seed, requests, faults, endsAt: Math.max(removalsEnd, faultsEnd) }
}

function durationOf(f: FaultClass, between: (lo: number, hi: number) => number): number {
  switch (f) {
    case 'halfOpen':
      // Longer than the 4 s heartbeat sometimes (detected, announced), shorter other times (must still lose nothing).
      return between(2000, 9000)
    case 'refusedConnections':
      return between(1500, 5000)
    case 'postgresRestart':
      return between(1000, 3000)
    case 'rest5xx':
    case 'restLatency':
    case 'rlsDeniesDetails':
      return between(1500, 6000)
    case 'storeLocked':
      // Longer than the store's 2 s busy timeout, so writes do fail.
      return between(3000, 7000)
    case 'workstationKill':
      // How long it stays dead before it is started again.
      return between(300, 3000)
    default:
      return 3000
  }
}

function shuffle<T>(a: T[], rand: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}
