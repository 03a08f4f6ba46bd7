// The feed's output: one stream of request facts from three sources (broadcast, db-broadcast,
// postgres_changes) and the reconcile read. Everything upstream is parsed into these shapes; everything
// downstream (store, desk, alerts) consumes only these. The shapes are zod schemas (https://zod.dev) and the
// types are derived from them: the parsers (src/core/feed/parse.ts) read raw input defensively and pass
// each fact they build through its schema as the last gate, so what the desk receives is already valid and
// the desk does not check it again.
import { z } from 'zod'
import type { RequestDetails } from '../shared/types.js'
import { FIELD_LIMITS, safeText, validRequestId } from './alerts/safe-text.js'

export const FactSourceSchema = z.enum(['broadcast', 'db-broadcast', 'postgres_changes', 'reconcile'])

/** A mechanic's display name as a workstation shows it ("taken by Ana"); longer names are cut. */
export const TAKER_NAME_LIMIT = 80

const RequestIdSchema = z.string().refine(validRequestId, 'not a request id (1 to 128 letters, digits and _.:-)')
/**
 * A server time in the one canonical spelling the store's dedup keys use (canonicalTime's output,
 * "2025-03-01T10:00:00.123456Z"). Checked by its shape: re-running canonicalTime (Date parsing) on every
 * fact doubled the parse cost.
 */
const CanonicalTimeSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/, 'not a canonical timestamp')
/** Text already cleaned for display: safeText leaves it as it is (no controls, trimmed, within the limit). */
const cleanText = (limit: number) => z.string().refine((v) => safeText(v, limit) === v, `not clean text of at most ${limit} characters`)

const detailFields = {
  customerName: cleanText(FIELD_LIMITS.customerName).nullable(),
  vehicle: cleanText(FIELD_LIMITS.vehicle).nullable(),
  concern: cleanText(FIELD_LIMITS.concern).nullable(),
  sessionType: cleanText(FIELD_LIMITS.sessionType).nullable(),
}
export const RequestDetailsSchema = z.strictObject(detailFields)
/** Only the keys a source carried: a missing key is unknown, a present null is known to be empty. */
export const PartialRequestDetailsSchema = z.strictObject(detailFields).partial()

const factBase = {
  source: FactSourceSchema,
  /** A stable id for the raw event (for the event log), e.g. broadcast meta id or `<commit_ts>:<pk>`. */
  eventId: z.string().min(1).max(512),
  /** ISO commit time on the server when known (postgres_changes, db-broadcast); used for latency. */
  commitTs: CanonicalTimeSchema.nullable(),
  /** Epoch ms when this workstation received it. */
  receivedAt: z.number().nonnegative(),
}

/** The request is (or became) queued. */
export const QueuedFactSchema = z.strictObject({
  ...factBase,
  kind: z.literal('queued'),
  requestId: RequestIdSchema,
  /** The version in which it became queued (session_assignments.queued_at); null if the source lacks it. */
  queuedAt: CanonicalTimeSchema.nullable(),
  sessionId: RequestIdSchema.nullable(),
  /** Null or partial when the source carries only ids (postgres_changes). */
  details: PartialRequestDetailsSchema.nullable(),
})
export type QueuedFact = z.infer<typeof QueuedFactSchema>

/** The request left the queue: accepted, cancelled, deleted, or otherwise no longer queued. */
export const RemovedFactSchema = z.strictObject({
  ...factBase,
  kind: z.literal('removed'),
  requestId: RequestIdSchema,
  reason: z.enum(['accepted', 'cancelled', 'deleted', 'other']),
  status: z.string().max(64).nullable(),
  /**
   * Who took it: the taker's display name when the trusted broadcast named them (request_accepted's taken_by);
   * absent or null when the source does not say (postgres_changes, a reconcile, a nameless mechanic).
   */
  takenBy: cleanText(TAKER_NAME_LIMIT).nullable().optional(),
})
export type RemovedFact = z.infer<typeof RemovedFactSchema>

/** Details for a request arrived later (enrichment after a basic alert). */
export const DetailsFactSchema = z.strictObject({
  ...factBase,
  kind: z.literal('details'),
  requestId: RequestIdSchema,
  details: RequestDetailsSchema,
})
export type DetailsFact = z.infer<typeof DetailsFactSchema>

/** An event that could not be understood. Recorded with its reason, never alerted, never fatal. */
export const RejectedFactSchema = z.strictObject({
  ...factBase,
  kind: z.literal('rejected'),
  reason: z.string().min(1),
  /** The raw payload, truncated to a few KB, for the event log. */
  raw: z.string(),
})
export type RejectedFact = z.infer<typeof RejectedFactSchema>

export const RequestFactSchema = z.discriminatedUnion('kind', [QueuedFactSchema, RemovedFactSchema, DetailsFactSchema, RejectedFactSchema])
export type RequestFact = z.infer<typeof RequestFactSchema>

// RequestDetails stays a plain type in src/shared/types.ts (the renderer compiles it without zod); this line
// fails the typecheck if the schema and that type ever disagree.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const detailsMatch: Same<z.infer<typeof RequestDetailsSchema>, RequestDetails> = true
void detailsMatch

/** A complete read of the server's current queue (reconcile). The local queue is made equal to it. */
export interface QueueSnapshot {
  /** `hint`: a message on the untrusted public topic made the engine look sooner (feed/hints.ts). */
  trigger: 'startup' | 'subscribed' | 'resume' | 'network' | 'timer' | 'manual' | 'hint'
  requests: QueuedFact[]
  /** Epoch ms when the read started; facts received after this win over the snapshot. */
  startedAt: number
}
