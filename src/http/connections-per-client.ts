// At most MAX_CONNECTIONS_PER_CLIENT open connections per client on a public port, below the port's
// MAX_CONNECTIONS: with only the global cap, one client held every slot with slow-header connections,
// topping them up as the header timeout closed them, and 44 of 49 legitimate requests failed (issue 18,
// finding 3). A client is what the abuse limits count as one (src/abuse-limits.ts clientKey): an IPv4
// address, an IPv6 /64. The address is the socket's: no header has arrived when a connection opens. So
// a proxy TRUST_PROXY names, which carries many clients, is not capped as one; it reads whole headers
// before it forwards a request (Caddy does), which takes slow-header clients off our connections.
import type { Socket } from 'node:net';
import type { Server } from 'node:http';
import { clientKey } from '../abuse-limits.js';

/**
 * Closes a new connection at once when its client already holds `limit` open ones on `server`; a proxy
 * `isProxy` recognises is never capped. The count of each client is kept while its connections are open.
 */
export function capConnectionsPerClient(
  server: Server,
  limit: number,
  isProxy: (address: string) => boolean,
): void {
  const open = new Map<string, number>();
  // Before Node's HTTP handling sees the connection, so a refused one costs no parser and no request.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined || isProxy(address)) return;
    const client = clientKey(address);
    const held = open.get(client) ?? 0;
    if (held >= limit) {
      socket.destroy();
      return;
    }
    open.set(client, held + 1);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left > 0) open.set(client, left);
      else open.delete(client);
    });
  });
}
