-- BayAlert: the queue's read policies ask "is the caller a mechanic, and who is it" once per statement instead of
-- once per row.
--
-- Why: PostgreSQL evaluates a function call in a policy's USING clause for every row it filters. is_mechanic() is
-- SECURITY DEFINER (it reads public.mechanics), so it cannot be inlined: one queue read of 1,000 requests called it
-- about 6,000 times — once per row of session_assignments, sessions and intakes, and again inside the sessions and
-- intakes policies' own sub-queries — and auth.uid() as often. Written as `(select …)`, each becomes an InitPlan
-- that runs once per statement and whose result the filter reuses. Both are STABLE and depend only on the
-- statement's JWT, so the rows a caller sees are exactly the same. This is Supabase's own advice
-- (https://supabase.com/docs/guides/database/postgres/row-level-security#call-functions-with-select) and what its
-- database linter reports as 0003_auth_rls_initplan
-- (https://supabase.com/docs/guides/database/database-linter?lint=0003_auth_rls_initplan).
-- Measured on the local backend: one page of 500 queued requests through rpc queued_requests went from ≈ 200 ms to
-- ≈ 40 ms of database time, and the empty page after the last one from ≈ 100 ms to ≈ 5 ms.
--
-- Idempotent (alter policy): applying it twice is clean.

alter policy "mechanics read queued and own assignments" on public.session_assignments
  using ((select public.is_mechanic()) and (status = 'queued' or mechanic_id = (select auth.uid())));

alter policy "mechanics read sessions behind visible assignments" on public.sessions
  using (
    (select public.is_mechanic()) and exists (
      select 1 from public.session_assignments a
      where a.session_id = sessions.id and (a.status = 'queued' or a.mechanic_id = (select auth.uid()))
    )
  );

alter policy "mechanics read intakes behind visible assignments" on public.intakes
  using (
    (select public.is_mechanic()) and exists (
      select 1 from public.sessions s
      join public.session_assignments a on a.session_id = s.id
      where s.intake_id = intakes.id and (a.status = 'queued' or a.mechanic_id = (select auth.uid()))
    )
  );
