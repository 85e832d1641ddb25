// What `npm ci` installs, read from the lockfile: every package runs on the Node.js we support, and the
// only install scripts that run are the ones package.json's allowScripts lets run, each reviewed (none
// downloads anything; .npmrc makes any other one fail the install).
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, test } from 'vitest';

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

  test('when npm installs, then unreviewed install scripts and unsupported engines fail the install', () => {
    const npmrc = readFileSync('.npmrc', 'utf8');
    expect(npmrc).toMatch(/^strict-allow-scripts=true$/m);
    expect(npmrc).toMatch(/^engine-strict=true$/m);
    expect(readFileSync('.prebuild-installrc', 'utf8')).toMatch(/^buildFromSource=true$/m);
  });
});
