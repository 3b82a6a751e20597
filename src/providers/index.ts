import type { Column } from '../domain/model.ts';
import type { Provider, ProviderRegistry } from '../engine/ports.ts';
import { createFormulaProvider } from './formula/formula-provider.ts';
import type { AddressPolicy } from './http/address-guard.ts';
import { createHttpProvider } from './http/http-provider.ts';

export interface ProvidersConfig {
  /** Which addresses http columns may reach. */
  addressPolicy: AddressPolicy;
}

/** The providers available on this server, by column kind. */
export function createProviderRegistry(config: ProvidersConfig): ProviderRegistry {
  const byKind: Partial<Record<Column['config']['kind'], Provider>> = {
    formula: createFormulaProvider(),
    http: createHttpProvider(config.addressPolicy),
  };
  return { forColumn: (column) => byKind[column.config.kind] };
}

export type { AddressPolicy } from './http/address-guard.ts';
