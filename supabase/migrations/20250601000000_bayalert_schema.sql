-- BayAlert: the tables, triggers, RLS and RPCs the workstation app relies on (contract: supabase/README.md).
-- Idempotent where cheap (create … if not exists, create or replace, drop policy if exists), so it can be
-- re-applied to a shop project that already has some of these objects.

-- ─── tables ──────────────────────────────────────────────────────────────────────────────────────────────
create table if not exists public.mechanics (
  user_id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null default '',
  created_at timestamptz not null default now()
);

create table if not exists public.intakes (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  email text,
  phone text,
  concern text,
  vehicle_make text,
  vehicle_model text,
  vehicle_year integer,
  created_at timestamptz not null default now()
);

create table if not exists public.sessions (
  id uuid primary key default gen_random_uuid(),
  type text not null default 'diagnostic',
  intake_id uuid references public.intakes (id) on delete set null,
  created_at timestamptz not null default now()
);
create index if not exists sessions_intake_id_idx on public.sessions (intake_id);

create table if not exists public.session_assignments (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.sessions (id) on delete cascade,
  status text not null default 'queued',
  mechanic_id uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  queued_at timestamptz
);
alter table public.session_assignments add column if not exists queued_at timestamptz;
create index if not exists session_assignments_session_id_idx on public.session_assignments (session_id);
create index if not exists session_assignments_mechanic_id_idx on public.session_assignments (mechanic_id);
-- The feed's keyset order (queued_at, id) over the waiting rows only.
create index if not exists session_assignments_queue_idx
  on public.session_assignments (queued_at, id) where status = 'queued';
-- Full old rows in change events, so "was queued, now is not" is visible to postgres_changes subscribers
-- (otherwise a change's old record carries only the primary key:
-- https://supabase.com/docs/guides/realtime/postgres-changes, "Receiving old records").
alter table public.session_assignments replica identity full;

create table if not exists public.feature_flags (
  key text primary key,
  enabled boolean not null default true,
  description text,
  updated_at timestamptz not null default now()
);

create table if not exists public.workstation_health (
  workstation_id text not null,
  mechanic_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  last_seen timestamptz not null default now(),
  app_version text,
  state text,
  reason text,
  counters jsonb not null default '{}'::jsonb,
  constraint workstation_health_pkey primary key (workstation_id, mechanic_id)
);
-- One row per workstation *and* mechanic: a shop workstation changes hands, and RLS lets each mechanic write
-- only their own rows, so a key of workstation_id alone locked every later mechanic on that machine out of
-- the heartbeat. (Re-keys a table created by an earlier version of this file.)
alter table public.workstation_health drop constraint if exists workstation_health_pkey;
alter table public.workstation_health add constraint workstation_health_pkey primary key (workstation_id, mechanic_id);

-- ─── triggers ────────────────────────────────────────────────────────────────────────────────────────────
-- queued_at is the dedup version: it changes exactly when a row (re)enters the queue and is stable while it
-- stays there, whatever the writer sends. clock_timestamp(), not now(): rows queued in one transaction still
-- get distinct, ordered versions.
create or replace function public.session_assignments_before_write() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'UPDATE' then
    new.updated_at := now();
  end if;
  if new.status = 'queued' then
    if tg_op = 'INSERT' or old.status is distinct from 'queued' then
      new.queued_at := clock_timestamp();
    else
      new.queued_at := old.queued_at;
    end if;
  end if;
  return new;
end $$;

drop trigger if exists session_assignments_before_write on public.session_assignments;
create trigger session_assignments_before_write
  before insert or update on public.session_assignments
  for each row execute function public.session_assignments_before_write();

create or replace function public.touch_updated_at() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end $$;

drop trigger if exists feature_flags_touch on public.feature_flags;
create trigger feature_flags_touch before update on public.feature_flags
  for each row execute function public.touch_updated_at();

-- ─── helpers ─────────────────────────────────────────────────────────────────────────────────────────────
-- SECURITY DEFINER so that policies can ask it without needing (and recursing into) mechanics' own RLS.
create or replace function public.is_mechanic() returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.mechanics m where m.user_id = auth.uid())
$$;
revoke execute on function public.is_mechanic() from public, anon;
grant execute on function public.is_mechanic() to authenticated, service_role;

-- ─── RLS ─────────────────────────────────────────────────────────────────────────────────────────────────
alter table public.mechanics enable row level security;
alter table public.intakes enable row level security;
alter table public.sessions enable row level security;
alter table public.session_assignments enable row level security;
alter table public.feature_flags enable row level security;
alter table public.workstation_health enable row level security;

drop policy if exists "mechanics read mechanics" on public.mechanics;
create policy "mechanics read mechanics" on public.mechanics
  for select to authenticated using (public.is_mechanic());

-- A mechanic sees every waiting request and the ones assigned to them.
drop policy if exists "mechanics read queued and own assignments" on public.session_assignments;
create policy "mechanics read queued and own assignments" on public.session_assignments
  for select to authenticated
  using (public.is_mechanic() and (status = 'queued' or mechanic_id = auth.uid()));

-- …and may claim a waiting one for themselves (accept_request is security invoker, so this is what it uses).
drop policy if exists "mechanics accept queued assignments" on public.session_assignments;
create policy "mechanics accept queued assignments" on public.session_assignments
  for update to authenticated
  using (public.is_mechanic() and status = 'queued')
  with check (public.is_mechanic() and mechanic_id = auth.uid() and status = 'accepted');
revoke update on public.session_assignments from authenticated;
grant update (status, mechanic_id) on public.session_assignments to authenticated;

drop policy if exists "mechanics read sessions behind visible assignments" on public.sessions;
create policy "mechanics read sessions behind visible assignments" on public.sessions
  for select to authenticated
  using (
    public.is_mechanic() and exists (
      select 1 from public.session_assignments a
      where a.session_id = sessions.id and (a.status = 'queued' or a.mechanic_id = auth.uid())
    )
  );

drop policy if exists "mechanics read intakes behind visible assignments" on public.intakes;
create policy "mechanics read intakes behind visible assignments" on public.intakes
  for select to authenticated
  using (
    public.is_mechanic() and exists (
      select 1 from public.sessions s
      join public.session_assignments a on a.session_id = s.id
      where s.intake_id = intakes.id and (a.status = 'queued' or a.mechanic_id = auth.uid())
    )
  );

drop policy if exists "signed-in users read flags" on public.feature_flags;
create policy "signed-in users read flags" on public.feature_flags
  for select to authenticated using (true);

drop policy if exists "workstations manage own health rows" on public.workstation_health;
create policy "workstations manage own health rows" on public.workstation_health
  for all to authenticated
  using (mechanic_id = auth.uid())
  with check (mechanic_id = auth.uid());

-- ─── seed: the four flags, on ────────────────────────────────────────────────────────────────────────────
insert into public.feature_flags (key, enabled, description) values
  ('mech_new_request_alerts', true, 'Master switch: alert mechanics about new requests'),
  ('mech_audio_alerts', true, 'Play a sound for new requests'),
  ('mech_browser_notifications', true, 'Show a desktop notification for new requests'),
  ('mech_visual_indicators', true, 'Tray/badge/taskbar attention for new requests')
on conflict (key) do nothing;

-- ─── RPCs (security invoker: RLS decides what the caller gets) ───────────────────────────────────────────
-- One definition of "a request with its details" for both read RPCs. security_invoker makes the view check
-- the caller's RLS on the three tables (Postgres 15+, as on Supabase). Details come from LEFT JOINs: a request
-- whose session/intake the caller cannot read still appears, with nulls.
create or replace view public.request_feed with (security_invoker = true) as
  select a.id, a.session_id, a.status, a.mechanic_id, a.queued_at, a.created_at, a.updated_at,
         s.type as session_type, s.intake_id, i.name as customer_name, i.concern,
         i.vehicle_make, i.vehicle_model, i.vehicle_year
  from public.session_assignments a
  left join public.sessions s on s.id = a.session_id
  left join public.intakes i on i.id = s.intake_id;
revoke all on public.request_feed from public, anon;
grant select on public.request_feed to authenticated, service_role;

-- One keyset page of waiting requests with their details, ordered by (queued_at, id).
create or replace function public.queued_requests(
  p_after_queued_at timestamptz default null,
  p_after_id uuid default null,
  p_limit integer default 500
) returns table (
  id uuid, session_id uuid, status text, mechanic_id uuid, queued_at timestamptz, created_at timestamptz,
  updated_at timestamptz, session_type text, intake_id uuid, customer_name text, concern text,
  vehicle_make text, vehicle_model text, vehicle_year integer
)
language sql stable security invoker set search_path = '' as $$
  select f.* from public.request_feed f
  where f.status = 'queued'
    and (p_after_queued_at is null
         or (f.queued_at, f.id) > (p_after_queued_at, coalesce(p_after_id, '00000000-0000-0000-0000-000000000000'::uuid)))
  order by f.queued_at, f.id
  limit least(greatest(coalesce(p_limit, 500), 1), 1000)
$$;

-- Details of some requests (any status the caller may see) in one round trip; same row shape.
create or replace function public.request_details(p_ids uuid[])
returns table (
  id uuid, session_id uuid, status text, mechanic_id uuid, queued_at timestamptz, created_at timestamptz,
  updated_at timestamptz, session_type text, intake_id uuid, customer_name text, concern text,
  vehicle_make text, vehicle_model text, vehicle_year integer
)
language sql stable security invoker set search_path = '' as $$
  select f.* from public.request_feed f
  where f.id = any (coalesce(p_ids, '{}'::uuid[]))
  order by f.queued_at nulls last, f.id
$$;

-- Why a claim failed, without letting RLS hide the answer (a request taken by someone else is no longer
-- visible to the caller). Mechanics only; returns the status and nothing else.
create or replace function public.assignment_status_for_mechanic(p_request_id uuid)
returns table (status text, mechanic_id uuid)
language sql stable security definer set search_path = '' as $$
  select a.status, a.mechanic_id from public.session_assignments a
  where a.id = p_request_id and public.is_mechanic()
$$;
revoke execute on function public.assignment_status_for_mechanic(uuid) from public, anon;
grant execute on function public.assignment_status_for_mechanic(uuid) to authenticated, service_role;

-- Atomic claim: exactly one mechanic wins (`where status = 'queued'` under the row lock).
-- {ok:true, reason:null} | {ok:true, reason:'already_yours'} | {ok:false, reason: 'not_signed_in' |
-- 'not_a_mechanic' | 'not_found' | 'already_accepted' | 'cancelled' | 'not_queued'}
create or replace function public.accept_request(p_request_id uuid) returns json
language plpgsql volatile security invoker set search_path = '' as $$
declare
  v_uid uuid := auth.uid();
  v_status text;
  v_mechanic uuid;
begin
  if v_uid is null then
    return json_build_object('ok', false, 'reason', 'not_signed_in');
  end if;
  if not public.is_mechanic() then
    return json_build_object('ok', false, 'reason', 'not_a_mechanic');
  end if;
  update public.session_assignments
     set status = 'accepted', mechanic_id = v_uid
   where id = p_request_id and status = 'queued';
  if found then
    return json_build_object('ok', true, 'reason', null);
  end if;
  select s.status, s.mechanic_id into v_status, v_mechanic from public.assignment_status_for_mechanic(p_request_id) s;
  if not found then
    return json_build_object('ok', false, 'reason', 'not_found');
  elsif v_mechanic = v_uid and v_status in ('accepted', 'in_progress', 'completed') then
    return json_build_object('ok', true, 'reason', 'already_yours');
  elsif v_status in ('accepted', 'in_progress', 'completed') then
    return json_build_object('ok', false, 'reason', 'already_accepted');
  elsif v_status = 'cancelled' then
    return json_build_object('ok', false, 'reason', 'cancelled');
  else
    return json_build_object('ok', false, 'reason', 'not_queued');
  end if;
end $$;

revoke execute on function public.queued_requests(timestamptz, uuid, integer) from public, anon;
revoke execute on function public.request_details(uuid[]) from public, anon;
revoke execute on function public.accept_request(uuid) from public, anon;
grant execute on function public.queued_requests(timestamptz, uuid, integer) to authenticated, service_role;
grant execute on function public.request_details(uuid[]) to authenticated, service_role;
grant execute on function public.accept_request(uuid) to authenticated, service_role;
