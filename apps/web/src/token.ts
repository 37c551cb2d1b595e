const STORAGE_KEY = 'calsync.devToken';

/**
 * The Bearer JWT the page calls the API with. In development it comes from the link `pnpm start`
 * prints (`/#token=...`; also `?token=`), or from what was pasted earlier. The fragment form is
 * preferred because browsers never send it, so the token stays out of server and proxy logs.
 * A token from the address is stored, then removed from it, so it is not left in the history
 * or copied into a shared link.
 */
export function readToken(): string | null {
  const url = new URL(window.location.href);
  const fragment = new URLSearchParams(url.hash.slice(1));
  const fromUrl = fragment.get('token') ?? url.searchParams.get('token');
  if (fromUrl) {
    saveToken(fromUrl);
    url.searchParams.delete('token');
    fragment.delete('token');
    url.hash = fragment.size ? fragment.toString() : '';
    window.history.replaceState(null, '', url);
    return fromUrl.trim();
  }
  return window.localStorage.getItem(STORAGE_KEY);
}

export function saveToken(token: string): void {
  window.localStorage.setItem(STORAGE_KEY, token.trim());
}

export function forgetToken(): void {
  window.localStorage.removeItem(STORAGE_KEY);
}

/**
 * Who the token says the user is, for display only ("signed in as"): the server verifies the
 * token and alone decides what the caller may do. Before a calendar is connected, this is the
 * only place the page can learn the user's address from. Null parts when the token has none
 * or is not a readable JWT.
 */
export function tokenIdentity(token: string): { email: string | null; emailVerified: boolean } {
  try {
    const payload = (token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
    const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof json !== 'object' || json === null) return { email: null, emailVerified: false };
    const email = 'email' in json && typeof json.email === 'string' && json.email !== '' ? json.email.toLowerCase() : null;
    return { email, emailVerified: email !== null && 'email_verified' in json && json.email_verified === true };
  } catch {
    // Not a JWT the page can read: the server will say what is wrong with it.
    return { email: null, emailVerified: false };
  }
}
