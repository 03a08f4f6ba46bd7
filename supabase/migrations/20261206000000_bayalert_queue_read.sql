-- BayAlert: the queue read costs the same however long the shop's history is, and says when it is complete.
--
-- Why, 1 — cost. Through the read policies, every row of the page asked the sessions and intakes policies' EXISTS
-- sub-queries, and PostgreSQL planned each of those as a bitmap over session_assignments_queue_idx, the partial
-- index of *all* waiting rows (plus, until VACUUM, the entries of rows that stopped waiting). So one page cost
-- (queued rows) × (size of that index): on the local backend a page of 300 waiting requests touched ≈ 2,700 buffer
-- pages with no history and ≈ 11,800 once 1,500 older requests had been cancelled; 1,000 waiting requests took
-- ≈ 140 ms of database time. Every workstation of a shop reads this page after every reconnect, so this is the
-- query a fleet runs all at once.
-- The page is now read by queued_requests_page(), which reads the three tables itself (SECURITY DEFINER, like
-- accept_request) and applies exactly what the policies would have allowed, once per statement: a mechanic (or the
-- shop's service role) sees every waiting request with its session and intake — the policies already show a
-- mechanic every queued assignment and whatever sits behind one — and anybody else sees nothing. This is
-- Supabase's advice for policies that join other tables
-- (https://supabase.com/docs/guides/database/postgres/row-level-security#use-security-definer-functions).
-- Its plan is one walk of the partial index in keyset order and two primary-key look-ups per row (≈ 3 buffer pages
-- per row, with or without history).
--
-- Why, 2 — completeness. A page of exactly p_limit rows could be the last one or not, so a queue of exactly 1,000
-- waiting requests cost a second round trip that returned nothing. Every row of queued_requests_page() carries
-- rows_left: how many waiting requests the read found from this page's start on (this page included); a page with
-- rows_left <= its length is the last. A new function rather than a new column of queued_requests: changing a
-- function's result columns needs DROP + CREATE, which the earlier migrations' `create or replace` would then fail
-- on when they are applied again. The app calls queued_requests_page and, on a project without this migration
-- (PostgREST PGRST202), falls back to queued_requests and pages as before.
--
-- queued_requests keeps its arguments and columns and now reads through the same function, so the old app, the
-- doctor and the shop's own tools get the cheaper plan too.

create or replace function public.queued_requests_page(
  p_after_queued_at timestamptz default null,
  p_after_id uuid default null,
  p_limit integer default 500
) returns table (
  id uuid, session_id uuid, status text, mechanic_id uuid, queued_at timestamptz, created_at timestamptz,
  updated_at timestamptz, session_type text, intake_id uuid, customer_name text, concern text,
  vehicle_make text, vehicle_model text, vehicle_year integer, rows_left integer
)
language sql stable security definer set search_path = '' as $$
  select a.id, a.session_id, a.status, a.mechanic_id, a.queued_at, a.created_at, a.updated_at,
         s.type, s.intake_id, i.name, i.concern, i.vehicle_make, i.vehicle_model, i.vehicle_year,
         -- Window functions run before LIMIT: every waiting row after the cursor, not just this page.
         (count(*) over ())::integer
  from public.session_assignments a
  left join public.sessions s on s.id = a.session_id
  left join public.intakes i on i.id = s.intake_id
  where a.status = 'queued'
    and ((select public.is_mechanic()) or coalesce((select auth.jwt()) ->> 'role', '') = 'service_role')
    and (p_after_queued_at is null
         or (a.queued_at, a.id) > (p_after_queued_at, coalesce(p_after_id, '00000000-0000-0000-0000-000000000000'::uuid)))
  order by a.queued_at, a.id
  limit least(greatest(coalesce(p_limit, 500), 1), 1000)
$$;

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
  select p.id, p.session_id, p.status, p.mechanic_id, p.queued_at, p.created_at, p.updated_at, p.session_type,
         p.intake_id, p.customer_name, p.concern, p.vehicle_make, p.vehicle_model, p.vehicle_year
  from public.queued_requests_page(p_after_queued_at, p_after_id, p_limit) p
$$;

revoke all on function public.queued_requests_page(timestamptz, uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.queued_requests_page(timestamptz, uuid, integer) to authenticated, service_role;
revoke all on function public.queued_requests(timestamptz, uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.queued_requests(timestamptz, uuid, integer) to authenticated, service_role;
