-- BayAlert: realtime delivery (needs Supabase Realtime's `realtime` schema: realtime.send, realtime.topic,
-- realtime.messages, publication supabase_realtime — present on every Supabase project).

-- Database-side broadcast with the complete payload on the private topic 'shop:requests'
-- (realtime.send never fails the caller's transaction, and its messages go out only after the commit:
-- https://supabase.com/docs/guides/realtime/broadcast).
-- SECURITY DEFINER: the writer may be a mechanic (accept_request runs as them) who cannot read every joined row
-- nor insert into realtime.messages; the broadcast must not depend on who wrote.
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

  perform realtime.send(jsonb_build_object('request', v_request), v_event, 'shop:requests', true);
  return null;
end $$;
revoke execute on function public.broadcast_session_assignment() from public, anon, authenticated;

drop trigger if exists session_assignments_broadcast on public.session_assignments;
create trigger session_assignments_broadcast
  after insert or update or delete on public.session_assignments
  for each row execute function public.broadcast_session_assignment();

-- Private-channel authorization (RLS on realtime.messages, https://supabase.com/docs/guides/realtime/authorization):
-- mechanics may join and read topic 'shop:requests'.
drop policy if exists "mechanics receive shop:requests" on realtime.messages;
create policy "mechanics receive shop:requests" on realtime.messages
  for select to authenticated
  using (realtime.topic() = 'shop:requests' and extension = 'broadcast' and public.is_mechanic());

-- postgres_changes need the tables in the publication; without it a subscription is confirmed but no change
-- ever arrives (https://supabase.com/docs/guides/realtime/postgres-changes).
do $$
begin
  if not exists (select 1 from pg_publication_tables
                 where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'session_assignments') then
    alter publication supabase_realtime add table public.session_assignments;
  end if;
  if not exists (select 1 from pg_publication_tables
                 where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'feature_flags') then
    alter publication supabase_realtime add table public.feature_flags;
  end if;
end $$;
