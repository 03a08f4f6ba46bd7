// Why a request's alert was withdrawn, in the words a host shows ("Maria Gonzalez cancelled"). Read from the
// store right after the desk's retract: a request still queued was acknowledged here; one that left the
// queue has a fresh tombstone whose reason says how (the removal fact's reason, or the reconcile that
// no longer found it). Kept out of the desk so the desk's retract stays a plain "withdraw this".
import type { RetractWhy } from '../ports.js'
import type { Store } from '../store/store.js'

/** A removal's recorded reason (a RemovedFact reason, or 'reconcile (…)') in the words a host shows. */
export function retractWhy(removalReason: string | null): RetractWhy {
  if (removalReason === 'accepted') return 'taken'
  if (removalReason === 'cancelled') return 'cancelled'
  return 'removed'
}

/** Why `requestId` was just retracted: acknowledged when it is still queued, else its newest tombstone's reason. */
export function whyRetracted(store: Pick<Store, 'getQueueRow' | 'tombstonesFor'>, requestId: string): RetractWhy {
  if (store.getQueueRow(requestId)) return 'acknowledged'
  return retractWhy(store.tombstonesFor(requestId)[0]?.reason ?? null)
}
