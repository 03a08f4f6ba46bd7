// Small fixtures the main-process unit tests share: an unsigned JWT with chosen claims (the app only reads the
// payload's role; the signature is the server's business) and an in-memory key-value store in place of
// electron-store (values cloned on write, as a JSON file would).

export function jwt(claims: Record<string, unknown>): string {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b({ alg: 'HS256', typ: 'JWT' })}.${b(claims)}.c2lnbmF0dXJl`
}

export function memoryKv() {
  const m = new Map<string, unknown>()
  return { map: m, get: (k: string) => m.get(k), set: (k: string, v: unknown) => void m.set(k, structuredClone(v)), delete: (k: string) => void m.delete(k) }
}
