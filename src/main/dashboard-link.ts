// "Open in dashboard": the shop's own web dashboard for a request, opened in the default browser. The only
// external URL the app ever opens, so it is built here and checked twice: the template is https with a fixed
// host (alert-prefs' dashboardUrlProblem), the request id is percent-encoded into it, and the result must still
// be https on the template's own host — an allow-list of one, taken from what the mechanic configured.
// shell.openExternal with anything else is a known way to run programs (Electron security checklist #15:
// https://www.electronjs.org/docs/latest/tutorial/security#15-do-not-use-shellopenexternal-with-untrusted-content).
import { DASHBOARD_PLACEHOLDER, dashboardUrlProblem } from '../shared/alert-prefs.js'

export type DashboardLink = { ok: true; url: string } | { ok: false; error: string }

export function dashboardLink(template: string, requestId: string): DashboardLink {
  if (template === '') return { ok: false, error: 'No shop dashboard link is set (Settings → Alerts).' }
  const problem = dashboardUrlProblem(template)
  if (problem) return { ok: false, error: problem }
  const allowedHost = new URL(template.replaceAll(DASHBOARD_PLACEHOLDER, 'x')).host
  let url: URL
  try {
    url = new URL(template.replaceAll(DASHBOARD_PLACEHOLDER, encodeURIComponent(requestId)))
  } catch {
    return { ok: false, error: 'The dashboard link does not make a valid URL for this request.' }
  }
  if (url.protocol !== 'https:' || url.host !== allowedHost) return { ok: false, error: 'The dashboard link for this request leaves the configured host; not opened.' }
  return { ok: true, url: url.href }
}

/** Opens the link through `openExternal` (shell.openExternal in the app); a failure is answered, not thrown. */
export async function openDashboard(template: string, requestId: string, openExternal: (url: string) => Promise<void>): Promise<DashboardLink> {
  const link = dashboardLink(template, requestId)
  if (!link.ok) return link
  try {
    await openExternal(link.url)
    return link
  } catch (e) {
    return { ok: false, error: `Could not open the browser: ${String((e as Error)?.message ?? e)}` }
  }
}
