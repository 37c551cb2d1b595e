import { JWT } from 'google-auth-library';
import { CALENDAR_SCOPES, GOOGLE_TOKEN_URL, type GoogleGatewayConfig } from './config.ts';

/**
 * The service-account JWT client. google-auth-library hard-codes Google's token URL (the key
 * JSON's token_uri is ignored), so with a base URL override the token request is rewritten at
 * the fetch level; the JWT's audience stays Google's token URL, as the emulator expects.
 */
export function createServiceAccountAuth(config: GoogleGatewayConfig): JWT {
  const base = config.apiBaseUrl?.replace(/\/+$/, '');
  return new JWT({
    email: config.credentials.client_email,
    key: config.credentials.private_key,
    keyId: config.credentials.private_key_id,
    // Without scopes the library silently sends no Authorization header at all.
    scopes: CALENDAR_SCOPES,
    subject: config.impersonateUser,
    transporterOptions: {
      // The library would retry the token call on its own (ignoring Retry-After); our gateway's
      // one policy decides instead.
      retryConfig: { retry: 0 },
      ...(base ? { fetchImplementation: redirectTokenCalls(`${base}/token`) } : {}),
    },
  });
}

function redirectTokenCalls(tokenUrl: string): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url === GOOGLE_TOKEN_URL) return fetch(tokenUrl, init);
    return fetch(input, init);
  };
}
