-- Supabase Realtime's tenant schema, as far as the shop migrations and the local realtime fake need it.
-- Applied after platform.sql and before supabase/migrations/* (see test/backend/realtime/README section).
--
-- Two halves:
--   1. What a real Supabase project has (broadcast from the database, supabase.com/docs/guides/realtime/broadcast, definitions follow supabase/realtime's squashed tenant
--      migrations): schema `realtime`, `realtime.messages` with RLS, `realtime.topic()`, `realtime.send()`,
--      `realtime.broadcast_changes()`, publication `supabase_realtime`, the grants.
--   2. The fake's change capture (no wal2json here, supabase/realtime postgres_cdc_rls): AFTER ROW triggers on every table in the
--      publication plus an AFTER INSERT trigger on realtime.messages, all reporting through pg_notify. NOTIFY is
--      delivered only at commit and in commit order, exactly the guarantees the real logical-slot poller gives.
-- Idempotent: safe to apply twice.

create schema if not exists realtime;

do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin with noinherit nologin noreplication;
  end if;
end $$;

-- ───────────────────────────── 1. the Supabase surface ─────────────────────────────

create or replace function realtime.topic() returns text
  language sql stable
  as $$ select nullif(current_setting('realtime.topic', true), '')::text; $$;

-- The real table is partitioned by day and kept 72 h; a plain table is enough here.
create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone default now() not null,
  inserted_at timestamp without time zone default now() not null,
  id uuid default gen_random_uuid() not null,
  primary key (id, inserted_at)
);
create index if not exists messages_inserted_at_topic_index
  on realtime.messages using btree (inserted_at desc, topic)
  where extension = 'broadcast' and private is true;
alter table realtime.messages enable row level security;

-- Security invoker, like the real one: the INSERT runs under the caller's RLS on realtime.messages, and any
-- failure is only a WARNING so the caller's transaction never fails (broadcast from the database, supabase.com/docs/guides/realtime/broadcast).
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true) returns void
  language plpgsql
  as $$
declare
  generated_id uuid;
  final_payload jsonb;
begin
  begin
    generated_id := gen_random_uuid();
    if payload ? 'id' then
      final_payload := payload;
    else
      final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
    end if;
    execute format('SET LOCAL realtime.topic TO %L', topic);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (generated_id, final_payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

create or replace function realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text,
                                                      table_schema text, new record, old record, level text default 'ROW')
  returns void
  language plpgsql
  as $$
declare
  row_data jsonb := '{}'::jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  if operation = 'INSERT' or operation = 'UPDATE' or operation = 'DELETE' then
    row_data := jsonb_build_object('old_record', old, 'record', new, 'operation', operation, 'table', table_name, 'schema', table_schema);
    perform realtime.send(row_data, event_name, topic_name);
  else
    raise exception 'Unexpected operation type: %', operation;
  end if;
exception
  when others then
    raise exception 'Failed to process the row: %', sqlerrm;
end;
$$;

do $$
begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end $$;

-- Grants as the real tenant migrations leave them.
grant usage on schema realtime to supabase_realtime_admin;
grant create on schema realtime to supabase_realtime_admin;
do $$
declare r text;
begin
  foreach r in array array['postgres', 'anon', 'authenticated', 'service_role'] loop
    if exists (select from pg_roles where rolname = r) then
      execute format('grant usage on schema realtime to %I', r);
      execute format('grant select, insert, update on realtime.messages to %I', r);
    end if;
  end loop;
  if exists (select from pg_roles where rolname = 'postgres') then
    execute 'grant delete, truncate, references, trigger on realtime.messages to postgres';
    execute 'grant supabase_realtime_admin to postgres';
  end if;
end $$;
grant all on realtime.messages to supabase_realtime_admin;

-- ───────────────────────────── 2. change capture for the fake ─────────────────────────────
-- NOTIFY payloads are limited to 8000 bytes; anything larger is parked here and only its sequence number is
-- notified, so a 1 MB row never fails the writer's transaction. The realtime server reads and prunes it.
create sequence if not exists realtime.capture_seq;
create table if not exists realtime.capture_overflow (
  seq bigint primary key,
  payload jsonb not null,
  created_at timestamptz not null default now()
);
revoke all on realtime.capture_overflow from public;

-- Rows over poll_max_record_bytes (1 MiB) are reported with "Error 413" and only their values of 64 bytes or
-- less (supabase/realtime postgres_cdc_rls); trimming here keeps the notification small.
create or replace function realtime.capture_trim(rec jsonb) returns jsonb
  language sql immutable
  as $$ select coalesce(jsonb_object_agg(key, value), '{}'::jsonb) from jsonb_each(rec) where octet_length(value::text) <= 64 $$;

create or replace function realtime.capture_emit(msg jsonb) returns void
  language plpgsql security definer
  set search_path = pg_catalog, realtime
  as $$
declare
  seq bigint := nextval('realtime.capture_seq');
  -- The transaction id lets the server give every row of one transaction the same commit_timestamp, taken when
  -- the commit reaches it (wal2json reports the commit record's time, not the row's).
  xid text := pg_current_xact_id()::text;
  body text;
begin
  -- Every payload carries a unique seq: PostgreSQL folds identical notifications within one transaction.
  body := (msg || jsonb_build_object('seq', seq, 'xid', xid))::text;
  if octet_length(body) < 7900 then
    perform pg_notify('realtime_capture', body);
  else
    insert into realtime.capture_overflow (seq, payload) values (seq, msg || jsonb_build_object('seq', seq, 'xid', xid));
    perform pg_notify('realtime_capture', jsonb_build_object('ref', seq, 'xid', xid)::text);
  end if;
end;
$$;

-- One AFTER ROW trigger per published table. SECURITY DEFINER so any writer role can emit; timezone pinned to
-- UTC so to_jsonb(timestamptz) gives "…+00:00" whatever the writer's session says (supabase/realtime postgres_cdc_rls).
create or replace function realtime.capture_change() returns trigger
  language plpgsql security definer
  set search_path = pg_catalog, realtime
  set timezone = 'UTC'
  as $$
declare
  new_rec jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
  old_rec jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
  too_large boolean := coalesce(octet_length(new_rec::text), 0) > 1048576 or coalesce(octet_length(old_rec::text), 0) > 1048576;
begin
  if too_large then
    new_rec := case when new_rec is not null then realtime.capture_trim(new_rec) end;
    old_rec := case when old_rec is not null then realtime.capture_trim(old_rec) end;
  end if;
  perform realtime.capture_emit(jsonb_build_object(
    'k', 'change',
    'schema', tg_table_schema,
    'table', tg_table_name,
    'relid', tg_relid::bigint,
    'type', tg_op,
    'record', new_rec,
    'old', old_rec,
    'too_large', too_large));
  return null;
end;
$$;

-- Database broadcasts (realtime.send / broadcast_changes) go out after commit as kind-4 frames (broadcast from the database, supabase.com/docs/guides/realtime/broadcast).
create or replace function realtime.capture_message() returns trigger
  language plpgsql security definer
  set search_path = pg_catalog, realtime
  as $$
begin
  if new.extension = 'broadcast' then
    perform realtime.capture_emit(jsonb_build_object(
      'k', 'broadcast', 'id', new.id, 'topic', new.topic, 'event', new.event,
      'payload', new.payload, 'private', coalesce(new.private, false)));
  end if;
  return null;
end;
$$;
drop trigger if exists realtime_capture_message on realtime.messages;
create trigger realtime_capture_message after insert on realtime.messages
  for each row execute function realtime.capture_message();

-- Make the capture triggers match the publication: added on tables that joined it, removed from tables that left.
-- Called by an event trigger after publication DDL, and by the realtime server at start and on each subscribe.
create or replace function realtime.sync_capture_triggers() returns integer
  language plpgsql security definer
  set search_path = pg_catalog, realtime
  as $$
declare
  r record;
  n integer := 0;
begin
  for r in
    select c.oid::regclass as rel
      from pg_publication_tables pt
      join pg_namespace ns on ns.nspname = pt.schemaname
      join pg_class c on c.relnamespace = ns.oid and c.relname = pt.tablename
     where pt.pubname = 'supabase_realtime'
       and c.relkind in ('r', 'p')
       and not exists (select from pg_trigger t where t.tgrelid = c.oid and t.tgname = 'realtime_capture')
  loop
    execute format('create trigger realtime_capture after insert or update or delete on %s for each row execute function realtime.capture_change()', r.rel);
    n := n + 1;
  end loop;
  for r in
    select t.tgrelid::regclass as rel
      from pg_trigger t
      join pg_class c on c.oid = t.tgrelid
      join pg_namespace ns on ns.oid = c.relnamespace
     where t.tgname = 'realtime_capture'
       and not exists (select from pg_publication_tables pt
                        where pt.pubname = 'supabase_realtime' and pt.schemaname = ns.nspname and pt.tablename = c.relname)
  loop
    execute format('drop trigger if exists realtime_capture on %s', r.rel);
    n := n + 1;
  end loop;
  return n;
end;
$$;

create or replace function realtime.on_publication_ddl() returns event_trigger
  language plpgsql
  as $$
begin
  perform realtime.sync_capture_triggers();
exception when others then
  raise warning 'realtime capture trigger sync failed: %', sqlerrm;
end;
$$;

-- Event triggers need a superuser; where that is not available the server's own sync still covers it.
do $$
begin
  if not exists (select from pg_event_trigger where evtname = 'realtime_capture_sync') then
    create event trigger realtime_capture_sync on ddl_command_end
      when tag in ('CREATE PUBLICATION', 'ALTER PUBLICATION')
      execute function realtime.on_publication_ddl();
  end if;
exception when insufficient_privilege then
  raise warning 'realtime: cannot create event trigger (not superuser); capture triggers sync at server start';
end $$;

-- apply_rls reads the subscriber's column privileges for every change; the fake caches them per table and role,
-- so a GRANT or REVOKE (e.g. the shop applying its grants migration while workstations are connected) tells the
-- server to forget them. Delivered at commit, in order with the changes, like every capture notification.
create or replace function realtime.on_privilege_ddl() returns event_trigger
  language plpgsql
  as $$
begin
  perform pg_notify('realtime_capture', '{"k":"privileges"}');
exception when others then
  raise warning 'realtime privilege notification failed: %', sqlerrm;
end;
$$;

do $$
begin
  if not exists (select from pg_event_trigger where evtname = 'realtime_privilege_sync') then
    create event trigger realtime_privilege_sync on ddl_command_end
      when tag in ('GRANT', 'REVOKE')
      execute function realtime.on_privilege_ddl();
  end if;
exception when insufficient_privilege then
  raise warning 'realtime: cannot create event trigger (not superuser); privileges are re-read on subscribe only';
end $$;

select realtime.sync_capture_triggers();

-- Used by the server for each change (supabase/realtime postgres_cdc_rls `apply_rls`): per subscriber, typed filter comparison
-- (`val::coltype op filterval::coltype`, the column must be present or the row is not visible), then for
-- non-DELETE changes on RLS tables `select exists(... where pk = …)` as the subscriber's role and claims, against
-- the row as it is NOW. Each subscriber is isolated in its own subtransaction so one bad filter cannot hide the
-- change from the others.
create or replace function realtime.fake_visible(entity regclass, action text, rec jsonb, rls boolean, pk jsonb, subs jsonb)
  returns table(key text, visible boolean, error text)
  language plpgsql
  as $$
declare
  s jsonb;
  f jsonb;
  ok boolean;
  col text;
  col_type text;
  op_symbol text;
  pk_where text;
begin
  select string_agg(format('%I = %L', k, v), ' and ') into pk_where from jsonb_each_text(pk) as x(k, v);
  for s in select * from jsonb_array_elements(subs) loop
    key := s->>'key';
    error := null;
    begin
      ok := true;
      for f in select * from jsonb_array_elements(coalesce(s->'filters', '[]'::jsonb)) loop
        col := f->>'column';
        if rec is null or not (rec ? col) or jsonb_typeof(rec->col) = 'null' then
          ok := false;
          exit;
        end if;
        select format_type(a.atttypid, a.atttypmod) into col_type
          from pg_attribute a where a.attrelid = entity and a.attname = col and a.attnum > 0 and not a.attisdropped;
        op_symbol := case f->>'op' when 'eq' then '=' when 'neq' then '!=' when 'lt' then '<' when 'lte' then '<='
                                   when 'gt' then '>' when 'gte' then '>=' when 'in' then '= any' end;
        execute format('select %L::%s %s (%L::%s)', rec->>col, col_type, op_symbol, f->>'value',
                       case when f->>'op' = 'in' then col_type || '[]' else col_type end) into ok;
        if not coalesce(ok, false) then
          ok := false;
          exit;
        end if;
      end loop;
      if ok and rls and action <> 'DELETE' then
        if pk_where is null then
          ok := false;
        else
          perform set_config('role', s->>'role', true), set_config('request.jwt.claims', (s->'claims')::text, true),
                  set_config('request.jwt.claim.sub', coalesce(s->'claims'->>'sub', ''), true),
                  set_config('request.jwt.claim.role', coalesce(s->'claims'->>'role', ''), true);
          execute format('select exists(select 1 from %s where %s)', entity, pk_where) into ok;
          perform set_config('role', 'none', true);
        end if;
      end if;
      visible := coalesce(ok, false);
    exception when others then
      visible := false;
      error := sqlerrm;
    end;
    return next;
  end loop;
end;
$$;
revoke all on function realtime.fake_visible(regclass, text, jsonb, boolean, jsonb, jsonb) from public;
