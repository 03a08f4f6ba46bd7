-- Supabase platform emulation, OPTIONAL (BackendOptions.legacyDefaultGrants / BAYALERT_BACKEND_LEGACY_GRANTS=1):
-- the default privileges a Supabase project created before 2026-05-30 has, so every table, view, sequence and
-- function that `postgres` creates in public is granted in full to anon, authenticated and service_role (RLS, not
-- grants, did the gating). New projects no longer have these (Supabase changelog #45329). Applied right after
-- platform.sql, before the migrations, so that the migrations meet the old world and must revoke what is too much.
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
