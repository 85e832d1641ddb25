// What every page shares: the layout, the forms' shape, the stylesheet and its caching, error pages.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWeb, type TestApp } from '../helpers/app.js';
import { mentionedNames, messageMarkup } from '../../src/web/pages.js';
import { Visitor } from '../helpers/web.js';

let t: TestApp;
beforeAll(async () => {
  t = await startWeb();
});
afterAll(() => t.close());

const inputs = (html: string) => [...html.matchAll(/<input ([^>]*)>/g)].map((m) => m[1]!);

describe('the layout', () => {
  test('when signed out, then the page, heading, navigation, body and footer of the original', async () => {
    const { body } = await new Visitor(t.app).get('/public');
    expect(body).toMatch(/^<!doctype html>/);
    expect(body).toContain('<meta name=viewport content="width=device-width, initial-scale=1">');
    expect(body).toMatch(/<div class=page>[\s\S]*<h1>MiniTwit<\/h1>[\s\S]*<div class=navigation>/);
    // Landmarks around the original's blocks: a skip link to the main content, a header, nav, main, footer.
    expect(body).toMatch(
      /<a class=skip-link href="#main">[\s\S]*<header><h1>[\s\S]*<nav aria-label="Main"><div class=navigation>[\s\S]*<main id=main tabindex=-1><div class=body>[\s\S]*<footer><div class=footer>/,
    );
    expect(body).toMatch(
      /<a href="\/public">public timeline<\/a> <span aria-hidden=true>\|<\/span>\s*<a href="\/register">sign up<\/a> <span aria-hidden=true>\|<\/span>\s*<a href="\/login">sign in<\/a>/,
    );
    expect(body).not.toContain('class=flashes');
    expect(body).toContain('<div class=body>');
    expect(body).toMatch(/<div class=footer>\s*MiniTwit &mdash; A Flask Application/);
  });

  test('when signed in, then "my timeline", "public timeline" and "sign out [name]"', async () => {
    const v = new Visitor(t.app);
    await v.registerAndLogin('layout');
    expect((await v.get('/public')).body).toMatch(
      /<a href="\/">my timeline<\/a> <span aria-hidden=true>\|<\/span>\s*<a href="\/public">public timeline<\/a> <span aria-hidden=true>\|<\/span>\s*<a href="\/logout\?token=[\w-]+">sign out \[layout\]<\/a>/,
    );
  });
});

describe('the forms', () => {
  test('when the sign-up page is shown, then its inputs are username, email, password, password2, then the submit', async () => {
    const { body } = await new Visitor(t.app).get('/register');
    expect(body).toContain('<title>Sign Up | MiniTwit</title>');
    expect(body).toContain('<h2>Sign Up</h2>');
    // The course's browser test types into the first four inputs and presses Enter in the fifth: any
    // hidden field must come after the submit button.
    const all = inputs(body);
    expect(
      all.slice(0, 5).map((attrs) => /name=(\w+)|type=(submit)/.exec(attrs)?.slice(1).find(Boolean)),
    ).toEqual(['username', 'email', 'password', 'password2', 'submit']);
    expect(all.slice(5).every((attrs) => attrs.includes('type=hidden'))).toBe(true);
    // Each field has its label, and says what it holds to browsers and password managers.
    expect(body).toContain('<dt><label for=email>E-Mail:</label>');
    expect(body).toContain('<dt><label for=password2>Password <small>(repeat)</small>:</label>');
    expect(all[0]).toMatch(
      /id=username .*required\s+autocomplete=username autocapitalize=off spellcheck=false/s,
    );
    expect(all[1]).toMatch(/type=email id=email .*required autocomplete=email/s);
    expect(all[2]).toMatch(/required autocomplete=new-password/);
    expect(body).toContain('<div class=actions><input type=submit value="Sign Up"></div>');
  });

  test('when the sign-in page is shown, then username, password and "Sign In"', async () => {
    const { body } = await new Visitor(t.app).get('/login');
    expect(body).toContain('<title>Sign In | MiniTwit</title>');
    expect(body).toContain('<dt><label for=username>Username:</label>');
    expect(body).toContain('<dt><label for=password>Password:</label>');
    const [username, password, submit] = inputs(body);
    expect(username).toMatch(
      /^type=text id=username name=username size=30 value="" required\s+autocomplete=username/,
    );
    expect(password).toBe(
      'type=password id=password name=password size=30 required autocomplete=current-password',
    );
    expect(submit).toBe('type=submit value="Sign In"');
  });

  test('when a form arrives as JSON with a wrongly typed field, then a 400 page', async () => {
    const reply = await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: ['a', 'b'], password: 'x' }),
    });
    expect(reply.statusCode).toBe(400);
    expect(reply.headers['content-type']).toContain('text/html');
  });

  test('when a form field is sent twice, then a 400 page, not a 500', async () => {
    const reply = await new Visitor(t.app).request(
      'POST',
      '/login',
      'username=a&username=b&password=x',
      {},
      false,
    );
    expect(reply.statusCode).toBe(400);
  });
});

describe('the stylesheet', () => {
  test('when a page is shown, then it links the stylesheet with a version, served with a day of caching', async () => {
    const { body } = await new Visitor(t.app).get('/public');
    const href = /<link rel=stylesheet type=text\/css href="([^"]+)">/.exec(body)?.[1];
    expect(href).toMatch(/^\/static\/style\.css\?v=[0-9a-f]{12}$/);
    const css = await t.app.inject({ method: 'GET', url: href! });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
    expect(css.headers['cache-control']).toBe('public, max-age=86400');
    expect(css.body).toContain('#caece9');
    expect(css.body).toContain('@media (max-width: 740px)');
  });
});

describe('error pages', () => {
  test('when a path matches no route, then a 404 page in the layout', async () => {
    const reply = await new Visitor(t.app).get('/no/such/page');
    expect(reply.statusCode).toBe(404);
    expect(reply.body).toContain('<title>Not Found | MiniTwit</title>');
    expect(reply.body).toContain('<div class=page>');
  });

  test('when any page is served, then other sites may not frame it', async () => {
    const reply = await new Visitor(t.app).get('/public');
    expect(reply.headers['x-frame-options']).toBe('DENY');
  });
});

describe('what browsers and crawlers ask for', () => {
  test('when /robots.txt is asked for, then plain text that lets crawlers in', async () => {
    const reply = await new Visitor(t.app).get('/robots.txt');
    expect(reply.statusCode).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(reply.body).toBe('User-agent: *\nAllow: /\n');
  });

  test('when /favicon.ico is asked for, then it points at our icon, which is an SVG', async () => {
    const reply = await new Visitor(t.app).get('/favicon.ico', {}, false);
    expect(reply.statusCode).toBe(301);
    expect(reply.headers.location).toBe('/static/favicon.svg');
    const icon = await new Visitor(t.app).get('/static/favicon.svg');
    expect(icon.headers['content-type']).toContain('image/svg+xml');
  });

  test('when an avatar that no name could have is asked for, then 404', async () => {
    for (const path of [
      '/static/avatars/xyz.svg',
      '/static/avatars/0123456789abcdef0123.png',
      '/static/avatars/..%2f.svg',
    ])
      expect((await new Visitor(t.app).get(path)).statusCode).toBe(404);
  });
});

describe('messages as markup', () => {
  test('when a text holds web addresses, then they are links that pass no ranking and no access, and the rest stays escaped', () => {
    expect(messageMarkup('see https://example.org/a?b=1&c=<2> and www.x.org.').html).toBe(
      'see <a href="https://example.org/a?b=1&amp;c=" rel="nofollow ugc noopener">https://example.org/a?b=1&amp;c=</a>&lt;2&gt; and ' +
        '<a href="http://www.x.org" rel="nofollow ugc noopener">www.x.org</a>.',
    );
  });

  test('when a text holds addresses of other kinds, then none is a link', () => {
    for (const text of [
      'javascript:alert(1)',
      'mailto:a@b.org',
      'ftp://x.org/f',
      '//evil.org/x',
      'a@b.org',
      '<a href="x">y</a>',
    ])
      expect(messageMarkup(text).html).not.toContain('<a ');
  });
});

describe('mentions as markup', () => {
  const users = new Set(['alice', 'bob.smith', 'Zoë', "o'neil"]);

  test('when a text mentions users, then each existing one is a link to their page, escaped', () => {
    expect(messageMarkup('hi @alice, @bob.smith. & @nobody <3 @Zoë!', users).html).toBe(
      'hi <a href="/alice" class=mention>@alice</a>, <a href="/bob.smith" class=mention>@bob.smith</a>. &amp; @nobody &lt;3 ' +
        '<a href="/Zo%C3%AB" class=mention>@Zoë</a>!',
    );
  });

  test('when a mention is inside a web address or an e-mail address, then it is not a link of its own', () => {
    expect(messageMarkup('see https://example.org/@alice and mail alice@example.org', users).html).toBe(
      'see <a href="https://example.org/@alice" rel="nofollow ugc noopener">https://example.org/@alice</a> and mail alice@example.org',
    );
  });

  test('when no user is known, then mentions stay text', () => {
    expect(messageMarkup('@alice').html).toBe('@alice');
  });

  test("when names are gathered for lookup, then only a mention's own characters, never from links", () => {
    expect(
      mentionedNames(['@alice, @bob.smith. @x-y- a@b.org', 'https://e.org/@hidden @"quoted" @<b>', '(@Zoë)']),
    ).toEqual(['alice', 'bob.smith', 'x-y', 'Zoë']);
  });

  test('when a page mentions very many names, then at most 100 are looked up', () => {
    const text = Array.from({ length: 150 }, (_, i) => `@n${i}`).join(' ');
    expect(mentionedNames([text])).toHaveLength(100);
  });
});
