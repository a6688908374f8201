/** Reading (not verifying: only the broker holds the key) the claims of a JWT, to explain refusals. */
export interface JwtClaims {
  sub?: string;
  exp?: number;
  iat?: number;
  [k: string]: unknown;
}

/** The claims of a JWT, or undefined if the value is not one. */
export function decodeJwtClaims(token: string): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}

/** When the token expired, if it has an expiry that lies before `now`. */
export function expiredAt(token: string, now = Date.now()): Date | undefined {
  const exp = decodeJwtClaims(token)?.exp;
  return typeof exp === 'number' && exp * 1000 <= now ? new Date(exp * 1000) : undefined;
}
