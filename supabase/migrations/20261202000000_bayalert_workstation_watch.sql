-- BayAlert: the workstation watch — every workstation sees which of the shop's workstations are still checking in.
--
-- Why: a workstation that died (crash, power, a laptop lid) stops ringing without telling anyone. Each workstation
-- already upserts its workstation_health row once per check-in period (rpc check_in, 20261201000000). Here:
--   workstation_roster()  what a mechanic may see of every workstation of the shop: its name (the workstation id and
--                         the signed-in mechanic's display name), state word, app version and last check-in. Not the
--                         reason text or the counters: those can carry another workstation's details (error text,
--                         request counts) that a screen seen by anyone walking past has no need to show.
--   check_in()            answers the roster as well (only when it changed for the caller), marked live or silent on
--                         the server's clock, so a workstation learns who is silent in the call it already makes each
--                         period (no extra request: one REST call per workstation per minute stays the idle cost).
--   quiet_workstations    a view for the shop's own dashboards (service role): workstations silent for more than
--                         three check-in periods of the default 60 s.
-- Supabase projects grant nothing by default since 2026-05-30 (changelog #45329): every privilege is stated below.

-- ─── the roster ──────────────────────────────────────────────────────────────────────────────────────────
-- SECURITY DEFINER because RLS shows a mechanic only their own workstation_health rows; it therefore checks the
-- caller itself (a signed-in mechanic) and returns only the five fields above. One row per workstation: a machine
-- that changed hands has a row per mechanic, and the latest check-in is the one that says whether it is alive.
-- Bounded: workstations seen in the last 12 hours (one shift: a machine switched off last night is not "silent"
-- this morning for ever), at most 200 rows (a check-in answer stays small however many rows accumulate).
create or replace function public.workstation_roster()
returns table (workstation_id text, mechanic_name text, state text, app_version text, last_seen timestamptz)
language sql stable security definer set search_path = '' as $$
  select r.workstation_id, r.mechanic_name, r.state, r.app_version, r.last_seen
    from (
      select distinct on (w.workstation_id)
             w.workstation_id, nullif(m.display_name, '') as mechanic_name, w.state, w.app_version, w.last_seen
        from public.workstation_health w
        left join public.mechanics m on m.user_id = w.mechanic_id
       where w.last_seen > now() - interval '12 hours'
       order by w.workstation_id, w.last_seen desc
    ) r
   where auth.uid() is not null and public.is_mechanic()
   order by r.last_seen desc
   limit 200
$$;
revoke all on function public.workstation_roster() from public, anon, authenticated, service_role;
grant execute on function public.workstation_roster() to authenticated;

-- ─── check_in answers the roster too ─────────────────────────────────────────────────────────────────────
-- Same checks and the same first three answer fields as 20261201000000 (a client that knows only those keeps
-- working). Two new optional parameters and three new answer fields:
--   p_silent_after_ms  how long without a check-in makes a workstation silent for this caller (its three check-in
--                      periods; default 180 000, bounded to 1 s … 1 day), so the server marks each row live or not;
--   p_roster_digest    the roster_digest of the roster the caller already holds, or null;
--   roster             [{workstation_id, mechanic_name, state, app_version, last_seen, live}] as workstation_roster()
--                      answers, plus live — or null when it equals the caller's (its digest is p_roster_digest);
--   roster_digest      md5 of what the caller shows: each row's names, state, version, live, and last_seen only
--                      where silent (a live row's last_seen moves at every check-in and is not shown);
--   server_time        now() of this transaction, the clock last_seen was written with.
-- Why the digest: every workstation checks in every minute, and a fleet of hundreds against one project would
-- otherwise download the whole roster each time (Supabase bills egress); in the steady state the answer grows by
-- a digest. The five-parameter function of 20261201000000 is replaced (two overloads would make PostgREST's choice
-- ambiguous, PGRST203); a caller sending its five parameters gets this one with the defaults.
drop function if exists public.check_in(text, text, text, text, jsonb);
create or replace function public.check_in(
  p_workstation_id text,
  p_app_version text default null,
  p_state text default null,
  p_reason text default null,
  p_counters jsonb default '{}'::jsonb,
  p_silent_after_ms integer default null,
  p_roster_digest text default null
) returns json
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_after interval := make_interval(secs => greatest(1000, least(coalesce(p_silent_after_ms, 180000), 86400000)) / 1000.0);
  v_roster json;
  v_digest text;
begin
  if v_uid is null or not public.is_mechanic() then
    raise exception 'check_in: only a signed-in mechanic checks in' using errcode = '42501';
  end if;
  insert into public.workstation_health as h (workstation_id, mechanic_id, last_seen, app_version, state, reason, counters)
  values (p_workstation_id, v_uid, now(), p_app_version, p_state, left(p_reason, 500), coalesce(p_counters, '{}'::jsonb))
  on conflict (workstation_id, mechanic_id) do update
    set last_seen = excluded.last_seen, app_version = excluded.app_version, state = excluded.state,
        reason = excluded.reason, counters = excluded.counters;
  with r as (
    select w.workstation_id, w.mechanic_name, w.state, w.app_version, w.last_seen, w.last_seen > now() - v_after as live
      from public.workstation_roster() w
  )
  select md5(coalesce(string_agg(json_build_array(r.workstation_id, r.mechanic_name, r.state, r.app_version, r.live,
                                                  case when r.live then null else r.last_seen end)::text,
                                 ',' order by r.workstation_id), '')),
         coalesce(json_agg(json_build_object('workstation_id', r.workstation_id, 'mechanic_name', r.mechanic_name,
                                             'state', r.state, 'app_version', r.app_version, 'last_seen', r.last_seen,
                                             'live', r.live) order by r.workstation_id), '[]'::json)
    into v_digest, v_roster
    from r;
  return json_build_object(
    'queue_version', (select q.version::text from public.queue_version q where q.id),
    'flags', coalesce((select json_agg(json_build_object('key', f.key, 'enabled', f.enabled) order by f.key)
                         from public.feature_flags f), '[]'::json),
    'workstations', (select count(distinct w.workstation_id)::int from public.workstation_health w
                      where w.last_seen > now() - interval '5 minutes'),
    'roster', case when p_roster_digest is distinct from v_digest then v_roster end,
    'roster_digest', v_digest,
    'server_time', now());
end $$;
revoke all on function public.check_in(text, text, text, text, jsonb, integer, text) from public, anon, authenticated, service_role;
grant execute on function public.check_in(text, text, text, text, jsonb, integer, text) to authenticated;

-- ─── quiet workstations, for the shop's dashboards ───────────────────────────────────────────────────────
-- Each workstation's latest check-in, where that was more than three default periods (3 × 60 s) ago. silent_for
-- lets a dashboard pick its own horizon (a machine switched off for the weekend is quiet too). Security invoker:
-- it shows what the reader may read of workstation_health, and only the service role is granted it (a mechanic
-- sees the others through workstation_roster()).
create or replace view public.quiet_workstations with (security_invoker = true) as
  select w.workstation_id, w.mechanic_id, nullif(m.display_name, '') as mechanic_name, w.state, w.app_version,
         w.last_seen, now() - w.last_seen as silent_for
    from (select distinct on (h.workstation_id) h.workstation_id, h.mechanic_id, h.state, h.app_version, h.last_seen
            from public.workstation_health h
           order by h.workstation_id, h.last_seen desc) w
    left join public.mechanics m on m.user_id = w.mechanic_id
   where w.last_seen < now() - interval '3 minutes';
revoke all on table public.quiet_workstations from public, anon, authenticated, service_role;
grant select on table public.quiet_workstations to service_role;
