import { expect, test } from 'vitest';
import { sqlStatements, SqlScriptError } from '../../../scripts/backup/sql-statements.js';

async function split(script: string, chunkSize = script.length || 1): Promise<string[]> {
  async function* chunks() {
    for (let i = 0; i < script.length; i += chunkSize) yield script.slice(i, i + chunkSize);
  }
  const statements: string[] = [];
  for await (const statement of sqlStatements(chunks())) statements.push(statement);
  return statements;
}

const DUMP = `\uFEFF--
-- PostgreSQL database dump
--

\\restrict AbC123

SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public."odd;name" (id bigint, "t;x" text);
/* a block comment; with a semicolon */
INSERT INTO public."odd;name" VALUES
\t(1, 'it''s; -- not a comment'),
\t(2, '\uFEFFtab\there
new;line \\ /* 😀 */ $$'),
\t(3, E'esc\\'aped; \\\\');
CREATE FUNCTION f() RETURNS text AS $body$ SELECT ';' $body$ LANGUAGE sql;
SELECT $$a;b$$, 1;

\\unrestrict AbC123
`;

const EXPECTED = [
  "SET client_encoding = 'UTF8'",
  "SELECT pg_catalog.set_config('search_path', '', false)",
  'CREATE TABLE public."odd;name" (id bigint, "t;x" text)',
  `INSERT INTO public."odd;name" VALUES\n\t(1, 'it''s; -- not a comment'),\n\t(2, '\uFEFFtab\there\nnew;line \\ /* 😀 */ $$'),\n\t(3, E'esc\\'aped; \\\\')`,
  "CREATE FUNCTION f() RETURNS text AS $body$ SELECT ';' $body$ LANGUAGE sql",
  'SELECT $$a;b$$, 1',
];

test('when a dump is split, then statements end only at semicolons outside strings, identifiers, dollar quotes and comments', async () => {
  expect(await split(DUMP)).toEqual(EXPECTED);
});

test('when the dump arrives in chunks of any size, then the statements are the same', async () => {
  for (const size of [1, 2, 3, 5, 7, 64, 65, 100]) expect(await split(DUMP, size)).toEqual(EXPECTED);
});

test('when a file is cut short or holds COPY data, then it is refused with a reason', async () => {
  await expect(split("INSERT INTO t VALUES ('unfinished")).rejects.toThrow(/cut short/);
  await expect(split('SELECT 1; SELECT 2')).rejects.toThrow(/cut short/);
  await expect(split('COPY public.t (id) FROM stdin;\n1\n\\.\n')).rejects.toThrow(SqlScriptError);
});
