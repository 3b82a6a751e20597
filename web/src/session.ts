/** The API key lives in sessionStorage: gone when the tab closes, never in localStorage or a cookie. */
const KEY = 'enrichbase.apiKey';

export function loadKey(): string | null {
  try {
    return window.sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveKey(key: string): void {
  window.sessionStorage.setItem(KEY, key);
}

export function clearKey(): void {
  window.sessionStorage.removeItem(KEY);
}
