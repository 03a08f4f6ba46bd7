// The feed's output: one stream of request facts from three sources.
// Everything upstream (broadcast, db-broadcast, postgres_changes, reconcile) is parsed into these
// shapes; everything downstream (store, alert pipeline) consumes only these.
import type { FactSource, RequestDetails } from '../shared/types.js'

interface FactBase {
  source: FactSource
  /** A stable id for the raw event (for the event log), e.g. broadcast meta id or `<commit_ts>:<pk>`. */
  eventId: string
  /** ISO commit time on the server when known (postgres_changes, db-broadcast); used for latency. */
  commitTs: string | null
  /** Epoch ms when this workstation received it. */
  receivedAt: number
}

/** The request is (or became) queued. */
export interface QueuedFact extends FactBase {
  kind: 'queued'
  requestId: string
  /** The version in which it became queued (session_assignments.queued_at); null if the source lacks it. */
  queuedAt: string | null
  sessionId: string | null
  /** Null or partial when the source carries only ids (postgres_changes). */
  details: Partial<RequestDetails> | null
}

/** The request left the queue: accepted, cancelled, deleted, or otherwise no longer queued. */
export interface RemovedFact extends FactBase {
  kind: 'removed'
  requestId: string
  reason: 'accepted' | 'cancelled' | 'deleted' | 'other'
  status: string | null
}

/** Details for a request arrived later (enrichment after a basic alert). */
export interface DetailsFact extends FactBase {
  kind: 'details'
  requestId: string
  details: RequestDetails
}

/** An event that could not be understood. Recorded with its reason, never alerted, never fatal. */
export interface RejectedFact extends FactBase {
  kind: 'rejected'
  reason: string
  /** The raw payload, truncated to a few KB, for the event log. */
  raw: string
}

export type RequestFact = QueuedFact | RemovedFact | DetailsFact | RejectedFact

/** A complete read of the server's current queue (reconcile). The local queue is made equal to it. */
export interface QueueSnapshot {
  /** `hint`: a message on the untrusted public topic made the engine look sooner (feed/hints.ts). */
  trigger: 'startup' | 'subscribed' | 'resume' | 'network' | 'timer' | 'manual' | 'hint'
  requests: QueuedFact[]
  /** Epoch ms when the read started; facts received after this win over the snapshot. */
  startedAt: number
}
