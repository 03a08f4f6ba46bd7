// The old browser dashboard's alert logic, reproduced for the benchmark baseline (the shop's mechanic
// dashboard after its move from broadcast to postgres_changes, as its post-mortem describes it): one postgres_changes
// subscription on session_assignments, then two sequential single-row fetches (session, then intake)
// before the alert fires. Kept faithful on purpose — including the `return` on a failed fetch — so that
// `latency.oldDashboard` measures what mechanics actually had. Never used by the app.
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'

export interface OldDashboardAlert {
  requestId: string
  customerName: string
  vehicle: string
  concern: string
  at: number
}

export interface OldDashboard {
  /** Resolves once postgres_changes are really flowing (the `system` ok message), so the bench is fair. */
  ready: Promise<void>
  failedFetches: number
  stop(): Promise<void>
}

export function startOldDashboard(
  supabase: SupabaseClient,
  onAlert: (alert: OldDashboardAlert) => void,
): OldDashboard {
  let markReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  const dashboard: OldDashboard = {
    ready,
    failedFetches: 0,
    stop: async () => {
      await supabase.removeChannel(channel)
    },
  }
  const channel: RealtimeChannel = supabase
    .channel('mechanic-dashboard-updates')
    .on('system', {}, (message: { extension?: string; status?: string }) => {
      if (message?.extension === 'postgres_changes' && message.status === 'ok') markReady()
    })
    .on(
      'postgres_changes',
      { event: '*', schema: 'public', table: 'session_assignments' },
      async (payload: { eventType?: string; new: Record<string, unknown>; old: Record<string, unknown> }) => {
        const eventType = payload.eventType?.toUpperCase()
        if (eventType !== 'INSERT' && eventType !== 'UPDATE') return
        const newRecord = payload.new
        const oldRecord = payload.old
        const isNewlyQueued = newRecord?.status === 'queued' && oldRecord?.status !== 'queued'
        if (!isNewlyQueued) return

        const { data: session, error: sessionError } = await supabase
          .from('sessions')
          .select('id, type, intake_id')
          .eq('id', newRecord.session_id as string)
          .single()
        if (sessionError || !session) {
          dashboard.failedFetches++
          return // the old dashboard's silent failure, kept for fidelity
        }
        const { data: intake, error: intakeError } = await supabase
          .from('intakes')
          .select('name, concern, vehicle_make, vehicle_model, vehicle_year')
          .eq('id', session.intake_id)
          .single()
        if (intakeError || !intake) {
          dashboard.failedFetches++
          return
        }
        onAlert({
          requestId: String(newRecord.id),
          customerName: intake.name || 'Customer',
          vehicle: `${intake.vehicle_year} ${intake.vehicle_make} ${intake.vehicle_model}`,
          concern: intake.concern || '',
          at: Date.now(),
        })
      },
    )
  channel.subscribe()
  return dashboard
}
