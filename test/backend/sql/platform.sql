-- Supabase platform emulation for the local shop backend (NOT a shop migration: supabase/migrations/ must run
-- unchanged on a real project, where all of this already exists).
-- What is emulated, and why:
--   * roles anon / authenticated / service_role (+ authenticator) — PostgREST does `set local role <jwt.role>`
--     (PostgREST uses the JWT `role` claim for SET ROLE: docs.postgrest.org, "Authentication"), so RLS applies to the real roles;
--   * schema auth: auth.users / sessions / refresh_tokens as the fake GoTrue's store, and auth.uid(), auth.role(),
--     auth.email(), auth.jwt() reading `request.jwt.claims` exactly like Supabase's definitions;
--   * grants as a NEW Supabase project has them: usage on schema public for the API roles, and no automatic
--     grants on the objects created in it (Supabase changelog #45329: projects created since 2026-05-30, and
--     tables created on any project since 2026-10-30). The shop migrations must grant what each role uses.
--     The old `alter default privileges … grant all` to the API roles lives in legacy-default-grants.sql, applied
--     only with BackendOptions.legacyDefaultGrants.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_admin') then
    create role supabase_admin nologin superuser createdb createrole replication bypassrls;
  end if;
end $$;

grant anon, authenticated, service_role to authenticator;

create schema if not exists extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;
grant usage on schema extensions to anon, authenticated, service_role;

-- public schema as on a new Supabase project: the API roles may use it, and get nothing on what is created in it.
grant usage on schema public to anon, authenticated, service_role;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key,
  aud varchar(255) default 'authenticated',
  role varchar(255) default 'authenticated',
  email varchar(255) unique,
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb default '{"provider":"email","providers":["email"]}'::jsonb,
  raw_user_meta_data jsonb default '{}'::jsonb,
  phone text default null,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  banned_until timestamptz,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);

create table if not exists auth.sessions (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  refreshed_at timestamp,
  aal text default 'aal1',
  not_after timestamptz
);

-- GoTrue keeps the whole rotation chain: `parent` is the token this one replaced (reuse detection, supabase/auth).
create table if not exists auth.refresh_tokens (
  id bigserial primary key,
  token varchar(255) unique not null,
  user_id varchar(255),
  revoked boolean not null default false,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  parent varchar(255),
  session_id uuid references auth.sessions (id) on delete cascade
);
create index if not exists refresh_tokens_session_idx on auth.refresh_tokens (session_id, id);

-- Supabase's own definitions (they read the per-transaction settings PostgREST/Realtime set).
create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt() to anon, authenticated, service_role;
-- auth.users is readable by the platform only (on Supabase it belongs to supabase_auth_admin).
revoke all on all tables in schema auth from anon, authenticated;
grant all on all tables in schema auth to service_role;
