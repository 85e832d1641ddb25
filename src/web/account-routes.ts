// Sign in, sign up, sign out: the forms, the session cookie and the flashes. The rules (checks, their
// order and words, hashing) are MiniTwit's (src/minitwit.ts); a broken rule is shown on the form.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AbuseLimits } from '../abuse-limits.js';
import { LIMITS, NO_NUL, SINGLE_LINE } from '../http/input-rules.js';
import * as minitwit from '../minitwit.js';
import { renderPage } from './pages.js';
import { flash } from './flashes.js';
import { safeReturnPath } from './return-to.js';
import { endSession, startSession } from './sessions.js';

// Missing fields count as empty, as an empty input does. Names and e-mails may not hold control
// characters (PostgreSQL text cannot hold NUL at all); the limits are the database's.
const Field = (maxLength: number, pattern = SINGLE_LINE) => Type.String({ maxLength, pattern, default: '' });
const Password = Field(LIMITS.password, NO_NUL);

/** Where to go after signing in (return-to.ts); anything that is not a path of ours is ignored. */
const Next = Type.Optional(Type.String({ maxLength: 8000 }));
const LoginQuery = Type.Object({ next: Next });
const LoginForm = Type.Object({
  username: Field(LIMITS.username),
  password: Password,
  next: Next,
  /** A message written before the session ended (the 401 page of add_message): shared once signed in. */
  text: Type.Optional(Type.String({ maxLength: LIMITS.message, pattern: NO_NUL })),
});
const RegisterForm = Type.Object({
  username: Field(LIMITS.username),
  email: Field(LIMITS.email),
  password: Password,
  password2: Password,
});

/** The rule an action broke, to show beside its field; anything else is not the form's business. */
const brokenRule = (error: unknown, fallback: minitwit.Field): minitwit.FieldError[] => {
  if (error instanceof minitwit.RuleError)
    return [{ field: error.field ?? fallback, message: error.message }];
  throw error;
};

/** A form's errors by field, as the templates show them (one per field: the first). */
const byField = (errors: minitwit.FieldError[]) => {
  const shown: Partial<Record<minitwit.Field, string>> = {};
  for (const { field, message } of errors) shown[field] ??= message;
  return shown;
};

export const accountRoutes: FastifyPluginAsyncTypebox<{
  ctx: minitwit.Context;
  limits: AbuseLimits;
}> = async (app, { ctx, limits }) => {
  app.get('/login', { schema: { querystring: LoginQuery } }, async (request, reply) => {
    const next = safeReturnPath(request.query.next);
    if (await request.currentUser()) return reply.redirect(next ?? '/');
    const form = { next };
    return renderPage(request, reply, 'login', { title: 'Sign In', user: undefined, errors: {}, form });
  });

  /** Signs in; a Werkzeug hash from the original's database is accepted and replaced by ours. */
  app.post('/login', { schema: { body: LoginForm } }, async (request, reply) => {
    const next = safeReturnPath(request.body.next);
    if (await request.currentUser()) return reply.redirect(next ?? '/');
    const { username, password, text: draft } = request.body;
    let user: Awaited<ReturnType<typeof minitwit.signIn>>;
    try {
      user = await minitwit.signIn(ctx, username, password, { limits, client: request.ip });
      startSession(request, reply, user);
    } catch (error) {
      const errors = byField(brokenRule(error, 'username'));
      const data = { title: 'Sign In', user: undefined, errors, form: { username, next, draft } };
      return renderPage(request, reply, 'login', data);
    }
    flash(request, reply, 'You were logged in');
    // An empty draft is not shared, as an empty post is not.
    if (draft) {
      await minitwit.postMessage(ctx, user, draft);
      flash(request, reply, 'Your message was recorded');
    }
    return reply.redirect(next ?? '/');
  });

  app.get('/register', async (request, reply) => {
    if (await request.currentUser()) return reply.redirect('/');
    return renderPage(request, reply, 'register', {
      title: 'Sign Up',
      user: undefined,
      errors: {},
      form: {},
    });
  });

  app.post('/register', { schema: { body: RegisterForm } }, async (request, reply) => {
    if (await request.currentUser()) return reply.redirect('/');
    const { username, email } = request.body;
    const refuse = (errors: minitwit.FieldError[]) =>
      renderPage(request, reply, 'register', {
        title: 'Sign Up',
        user: undefined,
        errors: byField(errors),
        form: { username, email },
      });
    // Every rule the form breaks at once, beside its field; then those that need the database, one by one.
    const problems = minitwit.registrationProblems(request.body);
    if (problems.length > 0) return refuse(problems);
    try {
      await minitwit.register(ctx, request.body, { limits, client: request.ip });
    } catch (error) {
      return refuse(brokenRule(error, 'username'));
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
