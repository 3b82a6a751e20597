import { useEffect, useState, type MouseEvent } from 'react';

/** Client-side routes: `/` (tables) and `/tables/{id}`; the server answers index.html for both. */
export type Route = { page: 'tables' } | { page: 'table'; tableId: string } | { page: 'not_found' };

export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { page: 'tables' };
  const match = /^\/tables\/([0-9a-fA-F-]{36})\/?$/.exec(pathname);
  if (match?.[1]) return { page: 'table', tableId: match[1] };
  return { page: 'not_found' };
}

export function navigate(path: string): void {
  if (window.location.pathname === path) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return route;
}

/** An in-app link: a real `<a href>` (open in a new tab works) that navigates without a reload. */
export function linkProps(path: string): { href: string; onClick: (event: MouseEvent) => void } {
  return {
    href: path,
    onClick: (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      navigate(path);
    },
  };
}
