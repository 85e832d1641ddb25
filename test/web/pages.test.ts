// What every page shares: the layout, the forms' shape, the stylesheet and its caching, error pages.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWeb, type TestApp } from '../helpers/app.js';
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
    expect(body).toMatch(/<div class=page>\s*<h1>MiniTwit<\/h1>\s*<div class=navigation>/);
    expect(body).toMatch(
      /<a href="\/public">public timeline<\/a> \|\s*<a href="\/register">sign up<\/a> \|\s*<a href="\/login">sign in<\/a>/,
    );
    expect(body).not.toContain('class=flashes');
    expect(body).toContain('<div class=body>');
    expect(body).toMatch(/<div class=footer>\s*MiniTwit &mdash; A Flask Application/);
  });

  test('when signed in, then "my timeline", "public timeline" and "sign out [name]"', async () => {
    const v = new Visitor(t.app);
    await v.registerAndLogin('layout');
    expect((await v.get('/public')).body).toMatch(
      /<a href="\/">my timeline<\/a> \|\s*<a href="\/public">public timeline<\/a> \|\s*<a href="\/logout\?token=[\w-]+">sign out \[layout\]<\/a>/,
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
    expect(body).toContain('<dt>E-Mail:');
    expect(body).toContain('<dt>Password <small>(repeat)</small>:');
    expect(body).toContain('<div class=actions><input type=submit value="Sign Up"></div>');
  });

  test('when the sign-in page is shown, then username, password and "Sign In"', async () => {
    const { body } = await new Visitor(t.app).get('/login');
    expect(body).toContain('<title>Sign In | MiniTwit</title>');
    expect(body).toContain('<dt>Username:');
    expect(body).toContain('<dt>Password:');
    expect(inputs(body).slice(0, 3)).toEqual([
      'type=text name=username size=30 value=""',
      'type=password name=password size=30',
      'type=submit value="Sign In"',
    ]);
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
