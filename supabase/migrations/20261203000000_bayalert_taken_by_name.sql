-- BayAlert: request_accepted names who took the request, so every other workstation can say "taken by Ana".
--
-- Why: when a mechanic takes a request, the other workstations withdraw its toast, repeat, badge and flash and
-- show "taken by <display name>" for a few seconds. The private shop:requests broadcast is how they hear of it
-- (one message per request per workstation); looking the name up afterwards would cost every workstation a
-- REST call per taken request. So the accepted broadcast carries the taker's display name (mechanics.display_name,
-- null when the mechanic has none) — the display name only: never the e-mail, never the user id, and still no
-- customer data in any removal broadcast.
--
-- Everything else in the function is as 20261130000000_bayalert_grants.sql left it.
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
  elsif v_event = 'request_accepted' then
    -- taken_by: the taker's display name, or null (no mechanic row, or an empty name): the app then says "taken".
    select jsonb_build_object('id', v_row.id, 'status', v_row.status, 'queued_at', v_row.queued_at,
                              'updated_at', v_row.updated_at, 'taken_by', nullif(m.display_name, ''))
      into v_request
      from (select 1) one
      left join public.mechanics m on m.user_id = v_row.mechanic_id;
  else
    v_request := jsonb_build_object('id', v_row.id, 'status', v_row.status,
                                    'queued_at', v_row.queued_at, 'updated_at', v_row.updated_at);
  end if;

  perform realtime.send(jsonb_build_object('request', v_request), v_event, 'shop:requests', true);
  return null;
end $$;
-- create or replace keeps the function's privileges; stated again so that applying this file alone is enough.
revoke all on function public.broadcast_session_assignment() from public, anon, authenticated, service_role;
