// Reconnect storms. Supabase Realtime limits channel joins per second per project (Free 100, Pro 500, Pro without
// spend cap 2,500: https://supabase.com/docs/guides/realtime/limits); a join over the limit is refused and has to be
// retried. After a server restart every workstation of a shop loses its socket in the same instant and, left alone,
// rejoins within the same second. Each workstation therefore waits a random delay drawn uniformly from a window
// sized by the fleet: K workstations spread over the window keep the shop's join rate under the budget.
//
// Uniform draws are not evenly spaced: with a mean of μ joins in a second, some seconds get more. The window is sized
// so that the mean plus four standard deviations of a Poisson count (√μ) fits in the budget — μ + 4√μ = budget —
// which for a budget of 100/s is a mean of ≈ 67/s, for 500/s ≈ 415/s and for 10/s ≈ 3/s. Peaks over the budget
// then need a > 4σ second: rare, and a refused join is retried by the link's own backoff anyway.

/** Supabase Free's channel joins per second; the shop's own plan may allow more (BAYALERT_JOIN_BUDGET). */
export const DEFAULT_JOIN_BUDGET_PER_SEC = 100
/** However large the fleet, no workstation waits longer than this to rejoin (a silent bay costs more than a refused join). */
export const MAX_JOIN_WINDOW_MS = 120_000
/** A shop this small relative to its budget (≤ budget / 10 workstations) rejoins at once: it cannot reach the limit. */
export const SMALL_SHOP_FRACTION = 0.1

/** The mean join rate (per second) whose 4σ peaks still fit in `budget`: the positive root of μ + 4√μ = budget. */
export function safeMeanJoinRate(budget: number): number {
  const root = (-4 + Math.sqrt(16 + 4 * budget)) / 2
  return root * root
}

/**
 * How long (ms) the window of random rejoin delays is for a shop of `workstations` (as last seen by the check-in),
 * each joining `joinsPerWorkstation` channels, under `budgetPerSec` joins per second. 0 = rejoin at once: an unknown
 * fleet (0 or not a number), or a small shop.
 */
export function joinWindowMs(workstations: number, budgetPerSec = DEFAULT_JOIN_BUDGET_PER_SEC, joinsPerWorkstation = 1): number {
  const budget = Number.isFinite(budgetPerSec) && budgetPerSec > 0 ? budgetPerSec : DEFAULT_JOIN_BUDGET_PER_SEC
  if (!Number.isFinite(workstations) || workstations <= 0) return 0
  if (workstations <= budget * SMALL_SHOP_FRACTION) return 0
  const joins = workstations * Math.max(1, Number.isFinite(joinsPerWorkstation) ? joinsPerWorkstation : 1)
  return Math.min(MAX_JOIN_WINDOW_MS, Math.ceil((joins / safeMeanJoinRate(budget)) * 1000))
}

/**
 * BAYALERT_JOIN_BUDGET: joins per second the shop's plan allows (a positive whole number up to 100,000). Unset → the
 * default; anything else → the default and a problem to log.
 */
export function parseJoinBudget(raw: string | undefined): { budget: number; problem: string | null } {
  if (raw === undefined || raw.trim() === '') return { budget: DEFAULT_JOIN_BUDGET_PER_SEC, problem: null }
  const n = Number(raw.trim())
  if (!Number.isInteger(n) || n < 1 || n > 100_000) {
    return {
      budget: DEFAULT_JOIN_BUDGET_PER_SEC,
      problem: `BAYALERT_JOIN_BUDGET must be a whole number of joins per second from 1 to 100000 (Supabase Free 100, Pro 500); using ${DEFAULT_JOIN_BUDGET_PER_SEC}.`,
    }
  }
  return { budget: n, problem: null }
}
