// A throwaway PostgreSQL cluster of the drill's own: initdb into a temporary directory, its own port and
// socket directory, started, stopped and crashed with pg_ctl. Never the machine's shared server. As root,
// every PostgreSQL command runs as the `postgres` user (initdb refuses root).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The newest server's bin directory (Debian keeps them off PATH), else whatever PATH has. */
function findPgBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions[0] ? join(root, versions[0], 'bin') : '';
}

const asRoot = process.getuid?.() === 0;

function exec(command: string, args: string[]): Promise<string> {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output}`)),
    );
  });
}

export class Cluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  /** initdb (trust auth, user postgres) into a new temporary directory, then started with a `minitwit` database. */
  static async create(port: number, bin = findPgBin()): Promise<Cluster> {
    const dir = mkdtempSync(join(tmpdir(), 'minitwit-outage-'));
    if (asRoot)
      await new Promise((resolve) => spawn('chown', ['postgres:postgres', dir]).on('close', resolve));
    const cluster = new Cluster(dir, port, bin);
    await exec(cluster.tool('initdb'), [
      '-D',
      join(dir, 'data'),
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
    ]);
    await cluster.start();
    const admin = new pg.Client({ connectionString: cluster.url('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE minitwit');
    await admin.end();
    return cluster;
  }

  private tool(name: string): string {
    return this.bin ? join(this.bin, name) : name;
  }

  url(database = 'minitwit'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private pgCtl(...args: string[]): Promise<string> {
    return exec(this.tool('pg_ctl'), ['-D', join(this.dir, 'data'), ...args]);
  }

  /** Returns once the server accepts connections (after crash recovery, when there is one). */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=50`;
    await this.pgCtl('start', '-w', '-t', '120', '-l', join(this.dir, 'server.log'), '-o', options);
  }

  /** `fast`: clients are told (57P01) and disconnected, a checkpoint is written. `immediate`: a crash. */
  async stop(mode: 'fast' | 'immediate'): Promise<void> {
    await this.pgCtl('stop', '-w', '-m', mode);
  }

  async destroy(): Promise<void> {
    await this.pgCtl('stop', '-m', 'immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
