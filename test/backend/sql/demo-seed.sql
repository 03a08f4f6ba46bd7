-- Demo shop for the local backend (not a shop migration). Fixed ids and passwords so tests, docs and
-- `npm start` can rely on them. Mirrored in test/backend/demo.ts (DEMO_USERS) — keep the two in step.
-- bcrypt via pgcrypto, as GoTrue stores auth.users.encrypted_password; cost 6 keeps sign-in fast in tests.
insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, raw_user_meta_data, created_at, updated_at)
values
  ('b0a1e000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'mechanic1@bayalert.test',
   extensions.crypt('bayalert-demo-1', extensions.gen_salt('bf', 6)), now(), '{"name":"Alex Rivera"}', now(), now()),
  ('b0a1e000-0000-4000-8000-000000000002', 'authenticated', 'authenticated', 'mechanic2@bayalert.test',
   extensions.crypt('bayalert-demo-2', extensions.gen_salt('bf', 6)), now(), '{"name":"Sam Okafor"}', now(), now()),
  ('b0a1e000-0000-4000-8000-000000000003', 'authenticated', 'authenticated', 'mechanic3@bayalert.test',
   extensions.crypt('bayalert-demo-3', extensions.gen_salt('bf', 6)), now(), '{"name":"Jordan Lee"}', now(), now()),
  -- Signed-in but not a mechanic: RLS must show this account nothing.
  ('b0a1e000-0000-4000-8000-0000000000f1', 'authenticated', 'authenticated', 'frontdesk@bayalert.test',
   extensions.crypt('bayalert-frontdesk', extensions.gen_salt('bf', 6)), now(), '{"name":"Front Desk"}', now(), now())
on conflict (id) do nothing;

insert into public.mechanics (user_id, display_name) values
  ('b0a1e000-0000-4000-8000-000000000001', 'Alex Rivera'),
  ('b0a1e000-0000-4000-8000-000000000002', 'Sam Okafor'),
  ('b0a1e000-0000-4000-8000-000000000003', 'Jordan Lee')
on conflict (user_id) do nothing;

-- A little history (nothing queued: a fresh demo starts with an empty queue; `npm run simulate` adds requests).
insert into public.intakes (id, name, concern, vehicle_make, vehicle_model, vehicle_year, created_at) values
    ('c0a1e000-0000-4000-8000-000000000001', 'Maria Gonzalez', 'Brakes squeal when stopping', 'Toyota', 'Corolla', 2016, now() - interval '3 days'),
    ('c0a1e000-0000-4000-8000-000000000002', 'Dev Patel', 'Check engine light after refuelling', 'Honda', 'Civic', 2019, now() - interval '2 days')
on conflict (id) do nothing;
insert into public.sessions (id, type, intake_id, created_at) values
    ('d0a1e000-0000-4000-8000-000000000001', 'diagnostic', 'c0a1e000-0000-4000-8000-000000000001', now() - interval '3 days'),
    ('d0a1e000-0000-4000-8000-000000000002', 'video', 'c0a1e000-0000-4000-8000-000000000002', now() - interval '2 days')
on conflict (id) do nothing;
insert into public.session_assignments (id, session_id, status, mechanic_id, created_at) values
  ('e0a1e000-0000-4000-8000-000000000001', 'd0a1e000-0000-4000-8000-000000000001', 'completed', 'b0a1e000-0000-4000-8000-000000000001', now() - interval '3 days'),
  ('e0a1e000-0000-4000-8000-000000000002', 'd0a1e000-0000-4000-8000-000000000002', 'completed', 'b0a1e000-0000-4000-8000-000000000002', now() - interval '2 days')
on conflict (id) do nothing;
