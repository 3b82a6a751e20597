import type { IssuePath } from './errors.ts';

export function formatIssuePath(path: IssuePath): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join('');
}
