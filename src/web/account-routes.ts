// Sign in, sign up, sign out: the forms, the session cookie and the flashes. The rules (checks, their
// order and words, hashing) are MiniTwit's (src/minitwit.ts); a broken rule is shown on the form.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AbuseLimits } from '../abuse-limits.js';
import { LIMITS, NO_NUL, SINGLE_LINE } from '../http/input-rules.js';
import * as minitwit from '../minitwit.js';
import { renderPage } from './pages.js';
import { flash } from './flashes.js';
import { endSession, startSession } from './sessions.js';

// Missing fields count as empty, as an empty input does. Names and e-mails may not hold control
// characters (PostgreSQL text cannot hold NUL at all); the limits are the database's.
const Field = (maxLength: number, pattern = SINGLE_LINE) => Type.String({ maxLength, pattern, default: '' });
const Password = Field(LIMITS.password, NO_NUL);

const LoginForm = Type.Object({ username: Field(LIMITS.username), password: Password });
const RegisterForm = Type.Object({
  username: Field(LIMITS.username),
  email: Field(LIMITS.email),
  password: Password,
  password2: Password,
});

/** The rule an action broke, to show on its form; anything else is not the form's business. */
const brokenRule = (error: unknown): string => {
  if (error instanceof minitwit.RuleError) return error.message;
  throw error;
};

export const accountRoutes: FastifyPluginAsyncTypebox<{
  ctx: minitwit.Context;
  limits: AbuseLimits;
}> = async (app, { ctx, limits }) => {
  app.get('/login', async (request, reply) => {
    if (await request.currentUser()) return reply.redirect('/');
    return renderPage(request, reply, 'login', { title: 'Sign In', user: undefined, form: {} });
  });

  /** Signs in; a Werkzeug hash from the original's database is accepted and replaced by ours. */
  app.post('/login', { schema: { body: LoginForm } }, async (request, reply) => {
    if (await request.currentUser()) return reply.redirect('/');
    const { username, password } = request.body;
    try {
      const user = await minitwit.signIn(ctx, username, password, { limits, client: request.ip });
      startSession(request, reply, user);
    } catch (error) {
      const data = { title: 'Sign In', user: undefined, error: brokenRule(error), form: { username } };
      return renderPage(request, reply, 'login', data);
    }
    flash(request, reply, 'You were logged in');
    return reply.redirect('/');
  });

  app.get('/register', async (request, reply) => {
    if (await request.currentUser()) return reply.redirect('/');
    return renderPage(request, reply, 'register', { title: 'Sign Up', user: undefined, form: {} });
  });

  app.post('/register', { schema: { body: RegisterForm } }, async (request, reply) => {
    if (await request.currentUser()) return reply.redirect('/');
    const { username, email } = request.body;
    try {
      await minitwit.register(ctx, request.body, { limits, client: request.ip });
    } catch (error) {
      const data = { title: 'Sign Up', user: undefined, error: brokenRule(error), form: { username, email } };
      return renderPage(request, reply, 'register', data);
    }
    flash(request, reply, 'You were successfully registered and can login now');
    return reply.redirect('/login');
  });

  // A GET, as in the original; the CSRF hooks guard it like a POST, and the link carries the session's
  // token. Signing out ends every session of the user (a copied cookie too), not just this browser's.
  const asUser = { changesState: true, needsSessionToken: true };
  app.get('/logout', { config: asUser, exposeHeadRoute: false }, async (request, reply) => {
    const user = await request.currentUser();
    if (user) await minitwit.signOut(ctx, user.userId);
    flash(request, reply, 'You were logged out');
    endSession(request, reply);
    return reply.redirect('/public');
  });
};
