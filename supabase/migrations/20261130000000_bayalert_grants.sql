-- BayAlert: least-privilege grants, and the database hygiene that depends on them.
--
-- Why this file exists: Supabase projects created since 2026-05-30 (and tables created on any project since
-- 2026-10-30) no longer give the API roles anon / authenticated / service_role automatic grants on objects in
-- `public` (Supabase changelog #45329). Without SELECT on the tables, the security-invoker read RPCs fail with
-- 42501 and every postgres_changes event arrives as `errors: ["Error 401: Unauthorized"]` with no record.
-- Older projects had the opposite: default privileges that `grant all` to all three roles, anon included.
-- So every privilege is stated here explicitly: first everything is revoked from the API roles (removing the old
-- defaults where they exist, a no-op on a new project), then exactly what each role uses is granted. The end
-- state is the same on a new and an old project, and applying this file again changes nothing.
--
-- Who may do what (supabase/README.md has the table):
--   anon           nothing. The anon key is public (it ships in the shop's customer app).
--   authenticated  a signed-in user; RLS narrows every read and write to mechanics (public.is_mechanic()).
--                  Reads the queue and only the customer fields the app shows; claims only through
--                  accept_request(); writes only its own workstation_health rows.
--   service_role   the shop's own backend: creates and updates intakes, sessions and assignments, manages
--                  mechanics and flags, reads workstation health. Bypasses RLS (as on Supabase).
-- Apply the file as one transaction (as the local backend does, sending it as one multi-statement query), so
-- no role is ever left between "revoked" and "granted".

-- ─── start from nothing ──────────────────────────────────────────────────────────────────────────────────
-- REVOKE ALL on a table also removes the column privileges (an earlier migration granted UPDATE(status,
-- mechanic_id) to authenticated for the old direct-UPDATE claim).
revoke all on table public.mechanics, public.intakes, public.sessions, public.session_assignments,
  public.feature_flags, public.workstation_health, public.request_feed
  from public, anon, authenticated, service_role;

-- Functions are EXECUTE-able by PUBLIC by PostgreSQL's own default, whatever Supabase's defaults were.
revoke all on function public.is_mechanic(), public.queued_requests(timestamptz, uuid, integer),
  public.request_details(uuid[]), public.accept_request(uuid), public.session_assignments_before_write(),
  public.touch_updated_at(), public.broadcast_session_assignment()
  from public, anon, authenticated, service_role;

-- ─── authenticated (mechanics, through RLS) ──────────────────────────────────────────────────────────────
grant select on table public.mechanics to authenticated;
grant select on table public.sessions to authenticated;
grant select on table public.session_assignments to authenticated;
grant select on table public.feature_flags to authenticated;
grant select on table public.request_feed to authenticated;
-- Only the customer fields a workstation shows. Not email, not phone: a workstation screen is seen by
-- whoever walks past, and a mechanic never needs to contact the customer from it.
grant select (id, name, concern, vehicle_make, vehicle_model, vehicle_year) on table public.intakes to authenticated;
-- The heartbeat upsert (INSERT … ON CONFLICT DO UPDATE) and doctor's read; never DELETE.
grant select, insert, update on table public.workstation_health to authenticated;
-- No UPDATE on session_assignments: a direct `update … set status = 'accepted'` could claim every waiting
-- request in one statement. Claims go through accept_request(), which claims one row by id.

grant execute on function public.is_mechanic() to authenticated, service_role;
grant execute on function public.queued_requests(timestamptz, uuid, integer) to authenticated, service_role;
grant execute on function public.request_details(uuid[]) to authenticated, service_role;
grant execute on function public.accept_request(uuid) to authenticated, service_role;
-- The trigger functions are granted to nobody: PostgreSQL checks EXECUTE only when the trigger is created.

-- ─── service_role (the shop's backend) ───────────────────────────────────────────────────────────────────
grant select, insert, update, delete on table public.mechanics, public.intakes, public.sessions,
  public.session_assignments, public.feature_flags, public.workstation_health to service_role;
grant select on table public.request_feed to service_role;
-- No sequences: every key is a uuid (gen_random_uuid()) or text. A future serial column must grant
-- `usage, select` on its sequence to service_role here.

-- ─── claims only through accept_request ──────────────────────────────────────────────────────────────────
-- The old direct-UPDATE policy is gone with the UPDATE grant; keeping it would only invite re-granting.
drop policy if exists "mechanics accept queued assignments" on public.session_assignments;

-- SECURITY DEFINER (owned by the migration's role, `postgres` on Supabase) because the caller has no UPDATE
-- on the table any more. It therefore checks everything itself: a signed-in mechanic, one row by primary key,
-- and always for auth.uid() — there is no parameter to claim on behalf of someone else.
-- Answers (json):
--   {ok:true,  reason:null}                                  claimed now
--   {ok:true,  reason:'already_yours'}                       the caller took it earlier (a replayed claim from an
--                                                            offline outbox is a success, not an error)
--   {ok:false, reason:'already_accepted', taken_by, taken_by_id}  someone else has it; taken_by is their display
--                                                            name (null if unknown), so the app can say "taken by Ana"
--   {ok:false, reason:'not_signed_in'|'not_a_mechanic'|'not_found'|'cancelled'|'not_queued'}
create or replace function public.accept_request(p_request_id uuid) returns json
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_status text;
  v_mechanic uuid;
  v_name text;
begin
  if v_uid is null then
    return json_build_object('ok', false, 'reason', 'not_signed_in');
  end if;
  if not public.is_mechanic() then
    return json_build_object('ok', false, 'reason', 'not_a_mechanic');
  end if;
  if p_request_id is null then
    return json_build_object('ok', false, 'reason', 'not_found');
  end if;
  -- The row lock taken by this UPDATE makes a concurrent second claim wait, then see status <> 'queued'.
  update public.session_assignments
     set status = 'accepted', mechanic_id = v_uid
   where id = p_request_id and status = 'queued';
  if found then
    return json_build_object('ok', true, 'reason', null);
  end if;
  select a.status, a.mechanic_id, nullif(m.display_name, '')
    into v_status, v_mechanic, v_name
    from public.session_assignments a
    left join public.mechanics m on m.user_id = a.mechanic_id
   where a.id = p_request_id;
  -- "Taken" is any status a shop uses for a request a mechanic has (the same words the app reads as accepted).
  if not found then
    return json_build_object('ok', false, 'reason', 'not_found');
  elsif v_status in ('accepted', 'assigned', 'claimed', 'taken', 'in_progress', 'active', 'started', 'completed', 'done')
        and v_mechanic = v_uid then
    return json_build_object('ok', true, 'reason', 'already_yours');
  elsif v_status in ('accepted', 'assigned', 'claimed', 'taken', 'in_progress', 'active', 'started', 'completed', 'done') then
    return json_build_object('ok', false, 'reason', 'already_accepted', 'taken_by', v_name, 'taken_by_id', v_mechanic);
  elsif v_status = 'cancelled' then
    return json_build_object('ok', false, 'reason', 'cancelled');
  else
    return json_build_object('ok', false, 'reason', 'not_queued');
  end if;
end $$;
-- create or replace keeps the privileges of an existing function; on a first apply it would get PUBLIC's
-- default EXECUTE, hence the statements again.
revoke all on function public.accept_request(uuid) from public, anon;
grant execute on function public.accept_request(uuid) to authenticated, service_role;

-- The old security-invoker accept_request needed this SECURITY DEFINER helper to see a row RLS hid from the
-- caller; nothing uses it now, and it told any mechanic the status and mechanic of any assignment id.
drop function if exists public.assignment_status_for_mechanic(uuid);

-- ─── removal broadcasts carry no customer data ───────────────────────────────────────────────────────────
-- new_request keeps the complete row (the engine rings from it: id, session_id, status, queued_at, customer,
-- vehicle, concern, session type). request_accepted / request_cancelled / request_removed carry the id, the
-- status and the two version times only: queued_at (which queued version left) and updated_at (when), which
-- the engine keeps as a tombstone so that a late, older new_request for the same request cannot re-add it.
create or replace function public.broadcast_session_assignment() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_event text;
  v_row public.session_assignments;
  v_request jsonb;
begin
  if tg_op = 'DELETE' then
    if old.status is distinct from 'queued' then
      return null; -- nobody is showing it
    end if;
    v_event := 'request_removed';
    v_row := old;
  elsif new.status = 'queued' and (tg_op = 'INSERT' or old.status is distinct from 'queued') then
    v_event := 'new_request';
    v_row := new;
  elsif tg_op = 'UPDATE' and old.status = 'queued' and new.status is distinct from 'queued' then
    v_event := case when new.status in ('accepted', 'in_progress', 'completed')
                    then 'request_accepted' else 'request_cancelled' end;
    v_row := new;
  else
    return null;
  end if;

  if v_event = 'new_request' then
    -- Same shape as a row of public.queued_requests().
    select jsonb_build_object(
             'id', v_row.id, 'session_id', v_row.session_id, 'status', v_row.status,
             'mechanic_id', v_row.mechanic_id, 'queued_at', v_row.queued_at, 'created_at', v_row.created_at,
             'updated_at', v_row.updated_at, 'session_type', s.type, 'intake_id', s.intake_id,
             'customer_name', i.name, 'concern', i.concern, 'vehicle_make', i.vehicle_make,
             'vehicle_model', i.vehicle_model, 'vehicle_year', i.vehicle_year)
      into v_request
      from (select 1) one
      left join public.sessions s on s.id = v_row.session_id
      left join public.intakes i on i.id = s.intake_id;
  else
    v_request := jsonb_build_object('id', v_row.id, 'status', v_row.status,
                                    'queued_at', v_row.queued_at, 'updated_at', v_row.updated_at);
  end if;

  perform realtime.send(jsonb_build_object('request', v_request), v_event, 'shop:requests', true);
  return null;
end $$;
revoke all on function public.broadcast_session_assignment() from public, anon, authenticated, service_role;

-- ─── workstation_health: mechanics only, bounded ─────────────────────────────────────────────────────────
-- Every signed-in user could write their own row before; a front-desk account has no workstation to report.
drop policy if exists "workstations manage own health rows" on public.workstation_health;
create policy "workstations manage own health rows" on public.workstation_health
  for all to authenticated
  using (mechanic_id = auth.uid() and public.is_mechanic())
  with check (mechanic_id = auth.uid() and public.is_mechanic());

-- Size limits, so a row cannot be used to store or ship bulk data. The engine sends a host name (≤ 253 bytes,
-- plus "-headless"), its version, a state word, a reason cut to 500 characters and a flat counters object.
-- NOT VALID: enforced for every new or changed row, without failing on rows an older version already wrote.
alter table public.workstation_health drop constraint if exists workstation_health_workstation_id_size;
alter table public.workstation_health add constraint workstation_health_workstation_id_size
  check (char_length(workstation_id) between 1 and 300) not valid;
alter table public.workstation_health drop constraint if exists workstation_health_app_version_size;
alter table public.workstation_health add constraint workstation_health_app_version_size
  check (char_length(app_version) <= 64) not valid;
alter table public.workstation_health drop constraint if exists workstation_health_state_size;
alter table public.workstation_health add constraint workstation_health_state_size
  check (char_length(state) <= 32) not valid;
alter table public.workstation_health drop constraint if exists workstation_health_reason_size;
alter table public.workstation_health add constraint workstation_health_reason_size
  check (char_length(reason) <= 500) not valid;
alter table public.workstation_health drop constraint if exists workstation_health_counters_size;
alter table public.workstation_health add constraint workstation_health_counters_size
  check (jsonb_typeof(counters) = 'object' and octet_length(counters::text) <= 16384) not valid;
