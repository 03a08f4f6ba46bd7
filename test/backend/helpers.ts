// Shared by the backend tests: real supabase-js clients against a started backend.
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
