-- BayAlert: one check-in per workstation per period, instead of three REST reads.
--
-- Why: Supabase bills a shop per request and limits Realtime per project (messages, joins, connections:
-- https://supabase.com/docs/guides/realtime/limits). An idle workstation used to read feature_flags, read the whole
-- queue (rpc queued_requests) and upsert its workstation_health row every minute. check_in() does the upsert and
-- answers, in the same round trip, what the workstation needs to decide whether to read more:
--   queue_version  a counter that moves exactly when the database sends a private queue broadcast (a row enters or
--                  leaves the queue), so the full queue read runs only when it moved — and a version that moved
--                  while no broadcast arrived tells the workstation that its private channel is silently broken;
--   flags          the feature flags themselves ([{key, enabled}], four rows), so they are never read separately;
--   workstations   how many workstations of the shop checked in during the last 5 minutes, which sizes the window
--                  over which they spread their rejoins after a Realtime restart (the joins-per-second quota).
-- Projects without this file keep working: the app falls back to the three reads (PostgREST answers PGRST202).
-- Supabase projects grant nothing by default since 2026-05-30 (changelog #45329): every privilege is stated below.

-- ─── the queue version ───────────────────────────────────────────────────────────────────────────────────
-- One row. Its lock is held by each transaction that changes the queue until it commits, which serializes such
-- writers for that short time; a shop writes a few queue changes a minute, and the reader (check_in) never waits
-- for it (MVCC).
create table if not exists public.queue_version (
  id boolean primary key default true check (id),
  version bigint not null default 0
);
insert into public.queue_version (id, version) values (true, 0) on conflict (id) do nothing;
alter table public.queue_version enable row level security; -- no policy: only check_in (SECURITY DEFINER) reads it
revoke all on table public.queue_version from public, anon, authenticated, service_role;

-- SECURITY DEFINER: the writer (the shop's backend, or accept_request) has no privilege on queue_version.
create or replace function public.bump_queue_version() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.queue_version set version = version + 1 where id;
  return null;
end $$;
revoke all on function public.bump_queue_version() from public, anon, authenticated, service_role;

-- Exactly the rows for which broadcast_session_assignment() sends on shop:requests: a row that becomes queued
-- (new_request), one that stops being queued (request_accepted / request_cancelled), a queued row deleted
-- (request_removed). So version − last version = broadcasts sent in between. status is NOT NULL.
drop trigger if exists session_assignments_queue_version_insert on public.session_assignments;
create trigger session_assignments_queue_version_insert
  after insert on public.session_assignments
  for each row when (new.status = 'queued') execute function public.bump_queue_version();
drop trigger if exists session_assignments_queue_version_update on public.session_assignments;
create trigger session_assignments_queue_version_update
  after update on public.session_assignments
  for each row when ((old.status = 'queued') <> (new.status = 'queued')) execute function public.bump_queue_version();
drop trigger if exists session_assignments_queue_version_delete on public.session_assignments;
create trigger session_assignments_queue_version_delete
  after delete on public.session_assignments
  for each row when (old.status = 'queued') execute function public.bump_queue_version();

-- The fleet count reads the recent rows only.
create index if not exists workstation_health_last_seen_idx on public.workstation_health (last_seen);

-- ─── check_in ────────────────────────────────────────────────────────────────────────────────────────────
-- SECURITY DEFINER because it counts every workstation of the shop (RLS shows a mechanic only their own rows) and
-- reads queue_version; it therefore checks the caller itself (a signed-in mechanic, like the workstation_health
-- policy) and writes only the caller's own row. The row keeps the table's limits (its CHECK constraints apply);
-- last_seen is the server's clock, so workstations with a wrong clock still count as seen.
-- Answer: {queue_version: text (a bigint, as text for JavaScript), flags: [{key, enabled}], workstations: int}.
create or replace function public.check_in(
  p_workstation_id text,
  p_app_version text default null,
  p_state text default null,
  p_reason text default null,
  p_counters jsonb default '{}'::jsonb
) returns json
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
begin
  if v_uid is null or not public.is_mechanic() then
    raise exception 'check_in: only a signed-in mechanic checks in' using errcode = '42501';
  end if;
  insert into public.workstation_health as h (workstation_id, mechanic_id, last_seen, app_version, state, reason, counters)
  values (p_workstation_id, v_uid, now(), p_app_version, p_state, left(p_reason, 500), coalesce(p_counters, '{}'::jsonb))
  on conflict (workstation_id, mechanic_id) do update
    set last_seen = excluded.last_seen, app_version = excluded.app_version, state = excluded.state,
        reason = excluded.reason, counters = excluded.counters;
  return json_build_object(
    'queue_version', (select q.version::text from public.queue_version q where q.id),
    'flags', coalesce((select json_agg(json_build_object('key', f.key, 'enabled', f.enabled) order by f.key)
                         from public.feature_flags f), '[]'::json),
    'workstations', (select count(distinct w.workstation_id)::int from public.workstation_health w
                      where w.last_seen > now() - interval '5 minutes'));
end $$;
revoke all on function public.check_in(text, text, text, text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.check_in(text, text, text, text, jsonb) to authenticated;
