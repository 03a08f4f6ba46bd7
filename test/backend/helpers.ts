// Shared by the backend tests: real supabase-js clients against a started backend.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import ws from 'ws'
import type { Backend, DemoUser } from './index.js'

const base = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }, realtime: { transport: ws as never } }

/** A client with the anon key, signed out. */
export function anonClient(b: Backend): SupabaseClient {
  return createClient(b.url, b.anonKey, base)
}

/** A client as the service role (bypasses RLS). */
export function serviceClient(b: Backend): SupabaseClient {
  return createClient(b.url, b.serviceRoleKey, base)
}

/** A client that sends exactly this access token (no auth-js refresh in the way). */
export function tokenClient(b: Backend, token: string): SupabaseClient {
  return createClient(b.url, b.anonKey, { ...base, accessToken: async () => token })
}

/** A signed-in client for a demo user. */
export async function signedIn(b: Backend, u: DemoUser): Promise<SupabaseClient> {
  const c = anonClient(b)
  const { error } = await c.auth.signInWithPassword({ email: u.email, password: u.password })
  if (error) throw new Error(`sign in ${u.email}: ${error.message}`)
  return c
}

export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Runs `fn` with the backend's database as a project that has not applied 20261206000000_bayalert_queue_read.sql
 * (queued_requests with its own body, no queued_requests_page), then applies that migration again.
 */
export async function beforeQueueReadMigration(b: Backend, fn: () => Promise<void>): Promise<void> {
  const dir = join(import.meta.dirname, '../../supabase/migrations')
  const schema = readFileSync(join(dir, '20250601000000_bayalert_schema.sql'), 'utf8')
  const before = /create or replace function public\.queued_requests\([\s\S]*?\$\$;/.exec(schema)![0]
  await b.sql.query(`${before}; drop function public.queued_requests_page(timestamptz, uuid, integer)`)
  try {
    await fn()
  } finally {
    await b.sql.query(readFileSync(join(dir, '20261206000000_bayalert_queue_read.sql'), 'utf8'))
  }
}
