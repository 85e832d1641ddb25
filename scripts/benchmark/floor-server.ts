// The client's floor, in a process of its own: a node:http server that answers every simulator request at
// once with the status a correct server gives (204 for the actions, GET /latest with the last `latest` it
// was sent) and does nothing else. A replay against it measures the client's own time per action.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveChildTask } from './children.js';

function listen(): Promise<{ origin: string }> {
  let latest = -1;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://floor');
    const given = url.searchParams.get('latest');
    if (given !== null && /^-?\d+$/.test(given)) latest = Number(given);
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST') {
        response.writeHead(204).end();
      } else {
        const body =
          url.pathname === '/latest' ? { latest } : url.pathname.startsWith('/fllws/') ? { follows: [] } : [];
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ origin: `http://127.0.0.1:${port}` });
    });
  });
}

serveChildTask('ready', listen);
