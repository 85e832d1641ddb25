// The image's HEALTHCHECK: GET /healthz on each port this container's role serves (web: PORT, api:
// API_PORT, all: both), exit 0 when every one answers 200 within 2 s. Plain Node.js, since the -slim
// base has neither curl nor wget.
import { get } from 'node:http';
import { readFileSync } from 'node:fs';
import process from 'node:process';

/** A variable's value, or the contents of the file its <NAME>_FILE names (Docker secrets). */
function setting(name, fallback) {
  const file = process.env[`${name}_FILE`];
  if (file) return readFileSync(file, 'utf8').trim();
  return process.env[name] || fallback;
}

const role = setting('MINITWIT_ROLE', 'all');
const ports = [];
if (role !== 'api') ports.push(setting('PORT', '5000'));
if (role !== 'web') ports.push(setting('API_PORT', '5001'));
const listen = setting('HOST', '0.0.0.0');
const host = listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen;

function check(port) {
  return new Promise((resolve) => {
    const request = get({ host, port, path: '/healthz', timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200 || `port ${port}: HTTP ${response.statusCode}`);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => resolve(`port ${port}: ${error.message}`));
  });
}

const failures = (await Promise.all(ports.map(check))).filter((result) => result !== true);
if (failures.length > 0) {
  process.stderr.write(`unhealthy: ${failures.join('; ')}\n`);
  process.exit(1);
}
