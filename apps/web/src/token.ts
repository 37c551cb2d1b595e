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
