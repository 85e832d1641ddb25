// A webhook receiver for CI (.ci/steps/90-stack.sh): prints one JSON line per notification Alertmanager
// posts (when it arrived, firing or resolved, which alerts), for the step to read from its log.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import console from 'node:console';

createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    if (request.method === 'POST') {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const alerts = body.alerts.map((alert) => ({ ...alert.labels, status: alert.status }));
        console.log(JSON.stringify({ receivedAt: new Date().toISOString(), status: body.status, alerts }));
      } catch (error) {
        console.log(JSON.stringify({ receivedAt: new Date().toISOString(), error: String(error) }));
      }
    }
    response.writeHead(200).end('ok\n');
  });
}).listen(9000);
