// latency.acceptToRetract: a mechanic presses Take it on workstation A → workstation B withdraws the request
// (the engine's retract event, which is what takes down B's toast, repeat, badge and flash). Two engines signed
// in as two mechanics, the same injected latency as the other latency figures: A's accept_request pays the REST
// round trip, B hears the server's request_accepted broadcast one realtime hop later.
import type { Backend } from '../../test/backend/index.js'
import { isLive, now, percentiles, sleep, startBenchEngine, waitState, type Pct, type Writer } from './lib.js'
import type { LatencyOptions } from './phases.js'

export interface AcceptToRetractResult extends Pct {
  missed: number
  /** A's accept_request answered (the claim committed, as A learns it) → B's retract: the broadcast hop and B's own share. */
  answeredToRetract: Pct
  /** The press → A's answer: the claim's REST round trip. */
  pressToAnswer: Pct
  /** Samples where A's claim was refused (should be 0: nobody else takes them). */
  refused: number
  /** Samples where B's retract named the taker (the accepted broadcast carries the display name). */
  named: number
  note: string
}

export async function acceptToRetract(b: Backend, writer: Writer, o: LatencyOptions): Promise<AcceptToRetractResult> {
  const a = await startBenchEngine(b, { name: 'take-A', user: 0, verbose: o.verbose, tuning: { stateCore: { burstWindowMs: o.burstWindowMs } } })
  const other = await startBenchEngine(b, { name: 'take-B', user: 1, verbose: o.verbose, tuning: { stateCore: { burstWindowMs: o.burstWindowMs } } })
  const retracts = new Map<string, { at: number; takenBy: string | null | undefined }>()
  const waiters = new Map<string, () => void>()
  const off = other.engine.on('retract', (r) => {
    if (r.why !== 'taken' || retracts.has(r.requestId)) return
    retracts.set(r.requestId, { at: now(), takenBy: r.takenBy })
    waiters.get(r.requestId)?.()
  })
  const retracted = (id: string, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (retracts.has(id)) return resolve(true)
      const t = setTimeout(() => {
        waiters.delete(id)
        resolve(false)
      }, ms)
      waiters.set(id, () => {
        clearTimeout(t)
        waiters.delete(id)
        resolve(true)
      })
    })
  try {
    await waitState(a.engine, isLive, 20_000, 'take-A live')
    await waitState(other.engine, isLive, 20_000, 'take-B live')
    await Promise.all([a.engine.feed!.idle(), other.engine.feed!.idle()])
    await sleep(300)
    const xs: number[] = []
    const afterAnswer: number[] = []
    const rpc: number[] = []
    let missed = 0
    let refused = 0
    let named = 0
    for (let i = -o.warmup; i < o.samples; i++) {
      const w = await writer.commit({ legacyBroadcast: false })
      // Both workstations show it before anyone takes it, as in the bay.
      const shown = await Promise.all([a.sink.waitFor(w.id, o.timeoutMs), other.sink.waitFor(w.id, o.timeoutMs)])
      if (shown.some((s) => s === null)) {
        if (i >= 0) missed++
        await writer.cancel([w.id])
        continue
      }
      const pressedAt = now()
      const answer = await a.engine.accept(w.id)
      const answeredAt = now()
      const ok = await retracted(w.id, o.timeoutMs)
      if (i >= 0) {
        if (!answer.ok) refused++
        if (!ok) missed++
        else {
          const r = retracts.get(w.id)!
          xs.push(r.at - pressedAt)
          afterAnswer.push(r.at - answeredAt)
          rpc.push(answeredAt - pressedAt)
          if (r.takenBy) named++
        }
      }
      retracts.delete(w.id)
      await sleep(o.gapMs)
      if (i >= 0 && (i + 1) % 25 === 0) o.progress(`acceptToRetract: ${i + 1}/${o.samples}`)
    }
    return {
      ...percentiles(xs),
      missed,
      refused,
      named,
      answeredToRetract: percentiles(afterAnswer),
      pressToAnswer: percentiles(rpc),
      note: "Take it pressed on A (engine.accept called) → B's retract event for the request (B withdraws toast, repeat, badge, flash); two mechanics, one request at a time",
    }
  } finally {
    off()
    await a.stop()
    await other.stop()
  }
}
