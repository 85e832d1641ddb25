// What `npm ci` installs, read from the lockfile: every package runs on the Node.js we support, and the
// only install scripts that run are the ones package.json's allowScripts lets run, each reviewed (none
// downloads anything; with our .npmrc, npm fails an install that would run any other one).
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import { afterAll, describe, expect, test } from 'vitest';

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
  hasInstallScript?: boolean;
  dev?: boolean;
}

const read = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;
const manifest = read<{ engines: { node: string }; allowScripts?: Record<string, boolean> }>('package.json');
const lock = read<{ packages: Record<string, LockedPackage> }>('package-lock.json');
const installed = Object.entries(lock.packages).filter(([path]) => path.startsWith('node_modules/'));
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** The oldest Node.js the project says it runs on (package.json engines), and the one running the tests. */
const SUPPORTED = [semver.minVersion(manifest.engines.node)!.version, process.versions.node];

describe('the installed packages', () => {
  test.each(SUPPORTED)('when Node.js is %s, then every package accepts it (no EBADENGINE)', (node) => {
    const refusing = installed
      .filter(([, pkg]) => typeof pkg.engines === 'object' && !Array.isArray(pkg.engines))
      .filter(([, pkg]) => {
        const range = (pkg.engines as { node?: string }).node;
        return range !== undefined && !semver.satisfies(node, range);
      })
      .map(([path, pkg]) => `${nameOf(path)}@${pkg.version} needs node ${JSON.stringify(pkg.engines)}`);
    expect(refusing).toEqual([]);
  });

  test('when a package has an install script, then allowScripts names it, and it is one we reviewed', () => {
    const withScripts = installed.filter(([, pkg]) => pkg.hasInstallScript).map(([path]) => nameOf(path));
    // argon2: node-gyp-build keeps the prebuilt binary the package ships when that loads, else compiles
    // from source (the prebuilt one segfaults Node 20 on some hosts); it downloads nothing.
    expect(withScripts.sort()).toEqual(['argon2']);
    const allowed = Object.entries(manifest.allowScripts ?? {})
      .filter(([, allow]) => allow)
      .map(([name]) => name.replace(/(.)@.*$/, '$1'));
    expect(allowed.sort()).toEqual(withScripts.sort());
  });

  test('when a package needs the source build, then prebuild-install is told to build from source', () => {
    expect(readFileSync('.prebuild-installrc', 'utf8')).toMatch(/^buildFromSource=true$/m);
  });
});

// npm itself, under our .npmrc, installing local packages made here (offline: nothing is downloaded).
describe('npm with our .npmrc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'minitwit-npmrc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const npmCli = process.env.npm_execpath;
  const writeJson = (file: string, value: unknown) => writeFileSync(file, JSON.stringify(value));

  /** A project in its own folder, with our .npmrc, depending on one local package; `npm install` in it. */
  async function install(name: string, dependency: object, allowScripts?: Record<string, boolean>) {
    const project = join(dir, name);
    mkdirSync(join(project, 'dependency'), { recursive: true });
    copyFileSync('.npmrc', join(project, '.npmrc'));
    writeJson(join(project, 'dependency', 'package.json'), {
      name: 'dependency',
      version: '1.0.0',
      ...dependency,
    });
    writeJson(join(project, 'package.json'), {
      name,
      version: '1.0.0',
      dependencies: { dependency: 'file:./dependency' },
      ...(allowScripts ? { allowScripts } : {}),
    });
    const [command, ...prefix] = npmCli ? [process.execPath, npmCli] : ['npm'];
    const args = [...prefix, 'install', '--offline', '--no-audit', '--no-fund'];
    const outcome = await new Promise<{ ok: boolean; output: string }>((resolve) => {
      execFile(command, args, { cwd: project }, (error, stdout, stderr) =>
        resolve({ ok: !error, output: `${stdout}${stderr}` }),
      );
    });
    return { ...outcome, scriptRan: existsSync(join(project, 'dependency', 'ran')) };
  }

  const script = { scripts: { postinstall: "node -e \"require('fs').writeFileSync('ran', '')\"" } };

  test(
    'when a package does not support this Node.js, then the install fails',
    { timeout: 120_000 },
    async () => {
      const { ok, output } = await install('engine', { engines: { node: '<1' } });
      expect(ok).toBe(false);
      expect(output).toMatch(/EBADENGINE|notsup/);
    },
  );

  test(
    'when a package has an install script that allowScripts does not name, then the install fails and the script does not run',
    { timeout: 120_000 },
    async () => {
      const { ok, output, scriptRan } = await install('unreviewed', script);
      expect(ok).toBe(false);
      expect(output).toMatch(/ESTRICTALLOWSCRIPTS/);
      expect(scriptRan).toBe(false);
    },
  );

  test('when allowScripts names it, then it installs and its script runs', { timeout: 120_000 }, async () => {
    const { ok, output, scriptRan } = await install('reviewed', script, { 'file:../dependency': true });
    expect(ok, output).toBe(true);
    expect(scriptRan).toBe(true);
  });
});
