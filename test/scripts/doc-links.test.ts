// Every relative link in the README and docs/ resolves: the file (or folder) exists, and a #fragment names
// a heading of the Markdown file it points into (GitHub's anchors: lower case, punctuation dropped,
// spaces as hyphens).
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? markdownFiles(join(dir, entry.name))
      : entry.name.endsWith('.md')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** The text outside fenced code blocks. */
const unfenced = (text: string) => text.replace(/^```[\s\S]*?^```/gm, '');
/** The text outside code: fenced blocks and inline code hold examples, not links. */
const prose = (text: string) => unfenced(text).replace(/`[^`\n]*`/g, '');

/** GitHub's anchor for a heading. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');

function anchors(file: string): Set<string> {
  const headings = unfenced(readFileSync(file, 'utf8')).match(/^#{1,6} .*$/gm) ?? [];
  return new Set(headings.map((line) => anchorOf(line.replace(/^#+ /, '').replace(/`/g, ''))));
}

function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const [, target] of prose(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)) {
    if (/^[a-z]+:/i.test(target!)) continue; // https:, mailto:
    const [path, fragment] = target!.split('#') as [string, string | undefined];
    const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(resolved)) broken.push(`${target}: no such file`);
    else if (fragment && resolved.endsWith('.md') && !anchors(resolved).has(fragment))
      broken.push(`${target}: no heading #${fragment} in ${relative(ROOT, resolved)}`);
  }
  return broken;
}

const FILES = [join(ROOT, 'README.md'), ...markdownFiles(join(ROOT, 'docs'))].map((file) =>
  relative(ROOT, file),
);

describe('links in the documentation', () => {
  test.each(FILES)('every relative link in %s resolves', (file) => {
    expect(brokenLinks(join(ROOT, file))).toEqual([]);
  });

  test('the check sees a missing file and a missing heading, and passes code and web links', () => {
    const dir = mkdtempSync(join(tmpdir(), 'minitwit-links-'));
    const file = join(dir, 'page.md');
    writeFileSync(
      file,
      [
        '# A page',
        '## Backup, restore and import',
        '[ok](#backup-restore-and-import) [self](page.md#a-page) [web](https://example.com/x.md)',
        '[gone](nothing.md) [bad anchor](page.md#nowhere) `[code](nothing.md)`',
        '```',
        '[fenced](nothing.md)',
        '```',
      ].join('\n'),
    );
    expect(brokenLinks(file)).toEqual([
      'nothing.md: no such file',
      'page.md#nowhere: no heading #nowhere in ' + relative(ROOT, file),
    ]);
    expect(FILES).toContain('README.md');
    expect(FILES).toContain('docs/performance/history.md');
  });
});

test('the README is short: under 150 lines', () => {
  expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThan(150);
});
