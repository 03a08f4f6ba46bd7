// Why a request's alert was withdrawn, in the words a host shows ("Maria Gonzalez cancelled"): the desk
// maps a removal's recorded reason when it removes the row, so the answer is the removal's own, not whatever
// the store holds by the time a host asks.
import type { RetractWhy } from '../ports.js'

/** A removal's recorded reason (a RemovedFact reason, or 'reconcile (…)') in the words a host shows. */
export function retractWhy(removalReason: string | null): RetractWhy {
  if (removalReason === 'accepted') return 'taken'
  if (removalReason === 'cancelled') return 'cancelled'
  return 'removed'
}
