import { createHash, randomBytes } from 'node:crypto';
import { NotFoundError } from '../domain/errors.ts';
import type { ApiKey, Workspace } from '../domain/model.ts';
import type { Store } from './ports.ts';

/** Keys carry 32 random bytes; the prefix makes them recognisable (and findable by secret scanners). */
const KEY_PREFIX = 'eb_';

export interface GeneratedKey {
  /** The secret: shown once, never stored. */
  key: string;
  keyHash: string;
  /** Safe to show: enough to tell keys apart. */
  prefix: string;
}

export function generateApiKey(): GeneratedKey {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, keyHash: hashApiKey(key), prefix: key.slice(0, KEY_PREFIX.length + 6) };
}

/** A fast hash is right here: keys are 256-bit random, so there is nothing to brute-force. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface IssuedKey {
  workspace: Workspace;
  apiKey: ApiKey;
  /** The secret, to show once. */
  key: string;
}

/** Issues a new key for a workspace (creating the workspace when `createIfMissing`). */
export async function issueApiKey(
  store: Store,
  input: { workspaceName: string; keyName?: string; createIfMissing?: boolean; ownerEmail?: string },
): Promise<IssuedKey> {
  let workspace = await store.findWorkspaceByName(input.workspaceName);
  if (!workspace) {
    if (!input.createIfMissing) throw new NotFoundError('workspace', input.workspaceName);
    workspace = await store.createWorkspace({
      name: input.workspaceName,
      ownerEmail:
        input.ownerEmail ??
        `owner@${input.workspaceName.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}.localhost`,
    });
  }
  const generated = generateApiKey();
  const apiKey = await store.createApiKey({
    workspaceId: workspace.id,
    name: input.keyName ?? 'default',
    keyHash: generated.keyHash,
    prefix: generated.prefix,
  });
  return { workspace, apiKey, key: generated.key };
}

export const DEFAULT_WORKSPACE = 'default';

/**
 * On an empty store, creates the default workspace and its first key, returned so the caller can
 * print it once. On a store that has workspaces, returns undefined and prints nothing secret.
 */
export async function bootstrapWorkspace(store: Store): Promise<IssuedKey | undefined> {
  if ((await store.listWorkspaces()).length > 0) return undefined;
  try {
    return await issueApiKey(store, {
      workspaceName: DEFAULT_WORKSPACE,
      keyName: 'first key',
      createIfMissing: true,
      ownerEmail: 'owner@localhost',
    });
  } catch (error) {
    // Another process starting on the same empty store won the race: it prints the key.
    if ((await store.listWorkspaces()).length > 0) return undefined;
    throw error;
  }
}
