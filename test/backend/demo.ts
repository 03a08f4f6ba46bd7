// The demo shop's accounts, mirrored from sql/demo-seed.sql (keep the two in step).
export interface DemoUser {
  email: string
  password: string
  id: string
  name: string
}

export const DEMO_MECHANICS: DemoUser[] = [
  { email: 'mechanic1@bayalert.test', password: 'bayalert-demo-1', id: 'b0a1e000-0000-4000-8000-000000000001', name: 'Alex Rivera' },
  { email: 'mechanic2@bayalert.test', password: 'bayalert-demo-2', id: 'b0a1e000-0000-4000-8000-000000000002', name: 'Sam Okafor' },
  { email: 'mechanic3@bayalert.test', password: 'bayalert-demo-3', id: 'b0a1e000-0000-4000-8000-000000000003', name: 'Jordan Lee' },
]

/** Signed in, but not a mechanic: RLS shows this account no requests. */
export const DEMO_FRONT_DESK: DemoUser = {
  email: 'frontdesk@bayalert.test',
  password: 'bayalert-frontdesk',
  id: 'b0a1e000-0000-4000-8000-0000000000f1',
  name: 'Front Desk',
}

/** `npm run backend`'s fixed address (like `supabase start`). */
export const DEFAULT_PORT = 54321
export const DEFAULT_URL = `http://127.0.0.1:${DEFAULT_PORT}`
