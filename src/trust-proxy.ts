// TRUST_PROXY: `false`, or exactly the proxies in front: their addresses and networks (`10.251.0.0/24,::1`;
// `loopback` for one on this host). Nothing broader: the app believes the X-Forwarded-For of whoever
// connects from them, so they must be the proxies alone. Not `true` (every hop), not a hop count (`1`,
// which trusted any private address: behind Docker's port proxy or the swarm's ingress every client has
// one, so any client chose its own address, issue 18, finding 9), not proxy-addr's `uniquelocal` or
// `linklocal` (every private address again).
import { BlockList, isIP, isIPv4 } from 'node:net';

/** The proxies `entries` name; throws on an entry that is not an address, a CIDR network or `loopback`. */
function proxyList(entries: string[]): BlockList {
  const proxies = new BlockList();
  for (const entry of entries) {
    if (entry === 'loopback') {
      proxies.addSubnet('127.0.0.0', 8, 'ipv4');
      proxies.addAddress('::1', 'ipv6');
      continue;
    }
    const [, address = '', bits] = /^([^/]*)(?:\/(\d{1,3}))?$/.exec(entry) ?? [];
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    // BlockList refuses what is not an address of `type`, and a prefix longer than the address.
    if (bits === undefined) proxies.addAddress(address, type);
    else proxies.addSubnet(address, Number(bits), type);
  }
  return proxies;
}

/** TRUST_PROXY's value: false, or the proxies' addresses and networks; otherwise throws saying why. */
export function parseTrustProxy(value: string): false | string[] {
  const trimmed = value.trim();
  if (trimmed === 'false' || trimmed === '0') return false;
  const entries = trimmed.split(',').map((entry) => entry.trim());
  try {
    proxyList(entries);
    return entries;
  } catch {
    throw new Error(
      `${whyNotProxies(trimmed, entries)}. Give the proxies' own addresses or network (the swarm's edge network 10.251.0.0/24; Caddy's address under compose.edge.yaml), or false`,
    );
  }
}

function whyNotProxies(value: string, entries: string[]): string {
  if (value === 'true')
    return 'true would trust every hop, so any client could choose the address that is logged and rate-limited';
  if (/^\d+$/.test(value))
    return 'a hop count would trust any private address, and behind Docker or the swarm every client has one';
  const everyPrivate = entries.find((entry) => entry === 'uniquelocal' || entry === 'linklocal');
  if (everyPrivate) return `${everyPrivate} names every private address, not the proxies`;
  return 'not a list of IP addresses or CIDR networks';
}

/** Whether `address` is one of the proxies TRUST_PROXY names. */
export function isTrustedProxy(trustProxy: false | string[]): (address: string) => boolean {
  if (trustProxy === false) return () => false;
  const proxies = proxyList(trustProxy);
  return (address) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (mapped) return proxies.check(mapped, 'ipv4');
    return proxies.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
  };
}
