import dns from 'node:dns';
import net from 'node:net';

/**
 * The SSRF guard: outbound calls made on behalf of a table (http columns, page fetches, webhooks)
 * never reach loopback, private, link-local or otherwise internal addresses unless configured. The
 * check runs on the address actually connected to, so DNS tricks and redirects gain nothing.
 */
const BLOCKED = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv6');
}

export interface AddressPolicy {
  /** Allow every private and loopback address (tests, trusted deployments). */
  allowPrivate: boolean;
  /** `host` or `host:port` entries allowed even when private. */
  allowedHosts: readonly string[];
}

export const STRICT_POLICY: AddressPolicy = { allowPrivate: false, allowedHosts: [] };

export class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
}

export function isInternalAddress(address: string): boolean {
  const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return BLOCKED.check(mapped, 'ipv4');
  return BLOCKED.check(address, family);
}

function allowed(policy: AddressPolicy, host: string, port: number): boolean {
  return (
    policy.allowPrivate ||
    policy.allowedHosts.includes(host) ||
    policy.allowedHosts.includes(`${host}:${port}`)
  );
}

/** Throws when a literal IP host is internal and not allowed. */
export function checkLiteralHost(policy: AddressPolicy, host: string, port: number): void {
  const bare = host.replace(/^\[|\]$/g, '');
  if (net.isIP(bare) && isInternalAddress(bare) && !allowed(policy, bare, port)) {
    throw new BlockedAddressError(`Refusing to connect to internal address ${bare}`);
  }
}

/** A `lookup` for node:http that refuses internal addresses (after resolution). */
export function guardedLookup(policy: AddressPolicy, host: string, port: number): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses;
      const blocked = list.find((entry) => isInternalAddress(entry.address));
      if (blocked && !allowed(policy, host, port)) {
        return callback(
          new BlockedAddressError(`Refusing to connect to ${hostname}: it resolves to an internal address`),
          '',
          0,
        );
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}
