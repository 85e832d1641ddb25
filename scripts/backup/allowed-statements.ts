// What a dump of ours may hold, and nothing else: the statements pg_dump writes for MiniTwit's schema and
// data (scripts/backup/dump.ts: --no-owner --no-privileges --no-comments --inserts, plain format), each
// parsed into tokens and matched against one of the shapes below. An allow-list: whatever is not one of
// them (transaction control, COPY, DO, functions, roles, extensions, GRANT, a SET of anything else, a
// schema other than public, psql meta-commands but \restrict) is refused before the restore runs any of it.
//
//   SET <one of pg_dump's settings> = <value>          SELECT pg_catalog.set_config('search_path', '', false)
//   CREATE TABLE public.t (...)                        CREATE [UNIQUE] INDEX i ON [ONLY] public.t USING m (...)
//   CREATE SEQUENCE public.s ...                       ALTER SEQUENCE public.s OWNED BY public.t.c
//   ALTER TABLE [ONLY] public.t ADD CONSTRAINT ... | ALTER COLUMN c {SET (pg_attver=N) |
//     ADD GENERATED ... AS IDENTITY (...) | SET DEFAULT nextval('public.s'::regclass)}
//   INSERT INTO public.t [OVERRIDING SYSTEM VALUE] VALUES (literals), ...
//   SELECT pg_catalog.setval('public.s', N, true|false)
//
// Expressions inside the DDL (defaults, CHECK constraints, index expressions) are not restricted here:
// they run as a role that is not a superuser (load.ts), which keeps server files and programs out of reach.
// The rows are: an INSERT holds literals only.

/** The dump holds something a MiniTwit backup never does. */
export class ForeignStatementError extends Error {
  override name = 'ForeignStatementError';
}

/** `string` is a plain or E'' string (a value pg_dump writes); `other` a dollar-quoted, B'', X'', N'' or U&'' one. */
type Kind = 'word' | 'quoted' | 'string' | 'other' | 'number' | 'op' | 'punct';
interface Token {
  kind: Kind;
  /** As written; a word lower-cased, a quoted identifier unquoted. */
  text: string;
}

/** The settings pg_dump writes at the top of a plain dump (PostgreSQL 15 to 18), and the values it gives. */
const SETTINGS: Record<string, RegExp> = {
  statement_timeout: /^0$/,
  lock_timeout: /^0$/,
  idle_in_transaction_session_timeout: /^0$/,
  transaction_timeout: /^0$/,
  client_encoding: /^UTF8$/,
  // The statement splitter reads strings as standard-conforming ones: a dump must not switch them off.
  standard_conforming_strings: /^on$/,
  check_function_bodies: /^false$/,
  xmloption: /^content$/,
  client_min_messages: /^warning$/,
  row_security: /^off$/,
  default_tablespace: /^$/,
  default_table_access_method: /^heap$/,
  default_with_oids: /^false$/,
};

// Sticky (y) patterns, matched at a position without slicing the statement: a multi-row INSERT is a
// megabyte, and slicing it at every token would be quadratic.
const SPACE = /\s+/y;
const STRING_START = /(?:[EeBbXxNn]|[Uu]&)?'/y;
const QUOTED = /"((?:[^"]|"")*)"/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/y;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/y;
const OPERATOR = /[+\-*/<>=~!@#%^&|`?:]+/y;

/** `pattern` matched at `at` in `text`, or undefined. */
function at(pattern: RegExp, text: string, position: number): RegExpExecArray | undefined {
  pattern.lastIndex = position;
  return pattern.exec(text) ?? undefined;
}

/** Splits one statement (as sqlStatements yields it: no comments, no final semicolon) into tokens. */
function tokenize(statement: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const refuse = (why: string): never => {
    throw new ForeignStatementError(why);
  };
  while (i < statement.length) {
    const space = at(SPACE, statement, i);
    if (space) {
      i += space[0].length;
      continue;
    }
    const c = statement[i]!;
    // A string: '...' ('' inside), E'...' (backslash escapes), and the prefixed kinds pg_dump never writes.
    const opening = at(STRING_START, statement, i)?.[0];
    if (opening) {
      const escapes = /^[Ee]/.test(opening);
      let j = i + opening.length;
      const parts: string[] = [];
      for (;;) {
        const quote = statement.indexOf("'", j);
        const backslash = escapes ? statement.indexOf('\\', j) : -1;
        if (quote === -1) refuse('a string that never ends');
        if (backslash !== -1 && backslash < quote) {
          parts.push(statement.slice(j, backslash + 2));
          j = backslash + 2;
        } else if (statement[quote + 1] === "'") {
          parts.push(statement.slice(j, quote + 1));
          j = quote + 2;
        } else {
          parts.push(statement.slice(j, quote));
          j = quote + 1;
          break;
        }
      }
      tokens.push({ kind: opening.length > 1 && !escapes ? 'other' : 'string', text: parts.join('') });
      i = j;
      continue;
    }
    if (c === '"') {
      const quoted = at(QUOTED, statement, i) ?? refuse('a quoted name that never ends');
      tokens.push({ kind: 'quoted', text: quoted[1]!.replace(/""/g, '"') });
      i += quoted[0].length;
      continue;
    }
    if (c === '$') {
      const tag = at(DOLLAR_TAG, statement, i)?.[0] ?? refuse('a $ outside a dollar-quoted string');
      const end = statement.indexOf(tag, i + tag.length);
      if (end === -1) refuse('a dollar-quoted string that never ends');
      tokens.push({ kind: 'other', text: statement.slice(i + tag.length, end) });
      i = end + tag.length;
      continue;
    }
    const number = at(NUMBER, statement, i);
    if (number) {
      tokens.push({ kind: 'number', text: number[0] });
      i += number[0].length;
      continue;
    }
    const word = at(WORD, statement, i);
    if (word) {
      tokens.push({ kind: 'word', text: word[0].toLowerCase() });
      i += word[0].length;
      continue;
    }
    if ('(),.[];'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
      continue;
    }
    const op = at(OPERATOR, statement, i)?.[0] ?? refuse(`an unexpected character ${JSON.stringify(c)}`);
    // Comments never reach here (the splitter drops them): "--" or "/*" in an operator would be one.
    if (/--|\/\*/.test(op)) refuse('a comment inside a statement');
    tokens.push({ kind: 'op', text: op });
    i += op.length;
  }
  return tokens;
}

/** Reads tokens left to right; each `expect` either consumes what it names or fails the match. */
class Reader {
  i = 0;
  constructor(readonly tokens: Token[]) {}

  get done(): boolean {
    return this.i >= this.tokens.length;
  }
  peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }
  /** The next tokens are these words (or punctuation), in order; consumed if so. */
  accept(...texts: string[]): boolean {
    const ok = texts.every((text, k) => {
      const token = this.peek(k);
      return token !== undefined && token.kind !== 'quoted' && token.kind !== 'string' && token.text === text;
    });
    if (ok) this.i += texts.length;
    return ok;
  }
  expect(...texts: string[]): void {
    if (!this.accept(...texts)) throw new NoMatch();
  }
  /** A name: a word that is not a keyword we read structurally, or a quoted identifier. */
  name(): string {
    const token = this.peek();
    if (!token || (token.kind !== 'word' && token.kind !== 'quoted')) throw new NoMatch();
    this.i++;
    return token.text;
  }
  /** `public.<name>`: every object a dump of ours creates or fills is in the public schema. */
  publicName(): string {
    const schema = this.peek();
    if (!schema || (schema.kind !== 'word' && schema.kind !== 'quoted') || schema.text !== 'public')
      throw new NoMatch();
    this.i++;
    this.expect('.');
    return this.name();
  }
  /** A parenthesised group, returning its tokens (nested parentheses included). */
  group(): Token[] {
    this.expect('(');
    const start = this.i;
    let depth = 1;
    while (depth > 0) {
      const token = this.peek();
      if (!token) throw new NoMatch();
      if (token.kind === 'punct' && token.text === '(') depth++;
      if (token.kind === 'punct' && token.text === ')') depth--;
      this.i++;
    }
    return this.tokens.slice(start, this.i - 1);
  }
  /** The rest of the statement (at least one token unless `allowEmpty`). */
  rest(allowEmpty = false): Token[] {
    const rest = this.tokens.slice(this.i);
    if (!allowEmpty && rest.length === 0) throw new NoMatch();
    this.i = this.tokens.length;
    return rest;
  }
  end(): void {
    if (!this.done) throw new NoMatch();
  }
}

class NoMatch extends Error {}

/** 'public.name' or 'public."na me"', as setval and nextval name a sequence. */
const PUBLIC_SEQUENCE = /^public\.(?:[A-Za-z_][\w$]*|"(?:[^"]|"")+")$/;

/** Qualified names (`a.b`) inside free-form parts of DDL may only be public's or pg_catalog's. */
function onlyOurSchemas(tokens: Token[]): void {
  for (let k = 0; k + 2 < tokens.length; k++) {
    const [a, dot, b] = [tokens[k]!, tokens[k + 1]!, tokens[k + 2]!];
    const isName = (t: Token) => t.kind === 'word' || t.kind === 'quoted';
    if (isName(a) && dot.kind === 'punct' && dot.text === '.' && isName(b)) {
      const before = tokens[k - 1];
      // The middle of public.t.c (a column) was checked with its schema.
      if (before?.kind === 'punct' && before.text === '.') continue;
      if (a.text !== 'public' && a.text !== 'pg_catalog') throw new NoMatch();
    }
  }
}

/** A literal as pg_dump --inserts writes a value: a string, a number (maybe negative), NULL, true, false. */
function literals(tokens: Token[]): void {
  const r = new Reader(tokens);
  for (;;) {
    const token = r.peek();
    if (!token) throw new NoMatch();
    if (token.kind === 'op' && token.text === '-' && r.peek(1)?.kind === 'number') r.i += 2;
    else if (token.kind === 'string' || token.kind === 'number') r.i++;
    else if (token.kind === 'word' && ['null', 'true', 'false'].includes(token.text)) r.i++;
    else throw new NoMatch();
    if (r.done) return;
    r.expect(',');
  }
}

const SHAPES: ((r: Reader) => void)[] = [
  // SET name = value
  (r) => {
    r.expect('set');
    const name = r.name();
    if (!r.accept('=')) r.expect('to');
    const value = r.peek();
    r.i++;
    r.end();
    const allowed = SETTINGS[name];
    if (!allowed || !value || !['word', 'string', 'number'].includes(value.kind)) throw new NoMatch();
    if (!allowed.test(value.text)) throw new NoMatch();
  },
  // SELECT pg_catalog.set_config('search_path', '', false)
  (r) => {
    r.expect('select', 'pg_catalog', '.', 'set_config', '(');
    const [path, empty] = [r.peek(), r.peek(2)];
    if (path?.kind !== 'string' || path.text !== 'search_path') throw new NoMatch();
    if (empty?.kind !== 'string' || empty.text !== '') throw new NoMatch();
    r.i++;
    r.expect(',');
    r.i++;
    r.expect(',', 'false', ')');
    r.end();
  },
  // SELECT pg_catalog.setval('public.s', N, true|false)
  (r) => {
    r.expect('select', 'pg_catalog', '.', 'setval', '(');
    const sequence = r.peek();
    if (sequence?.kind !== 'string' || !PUBLIC_SEQUENCE.test(sequence.text)) throw new NoMatch();
    r.i++;
    r.expect(',');
    if (r.peek()?.kind !== 'number') throw new NoMatch();
    r.i++;
    r.expect(',');
    if (!r.accept('true')) r.expect('false');
    r.expect(')');
    r.end();
  },
  // CREATE TABLE public.t (...): the parenthesis closes the statement (no AS SELECT, no PARTITION OF)
  (r) => {
    r.expect('create', 'table');
    r.publicName();
    onlyOurSchemas(r.group());
    r.end();
  },
  // CREATE [UNIQUE] INDEX name ON [ONLY] public.t USING method (...) [INCLUDE (...)] [WHERE ...]
  (r) => {
    r.expect('create');
    r.accept('unique');
    r.expect('index');
    r.name();
    r.expect('on');
    r.accept('only');
    r.publicName();
    r.expect('using');
    r.name();
    onlyOurSchemas(r.group());
    onlyOurSchemas(r.rest(true));
  },
  // CREATE SEQUENCE public.s [AS type] START WITH 1 INCREMENT BY 1 ... (a serial column's)
  (r) => {
    r.expect('create', 'sequence');
    r.publicName();
    for (const token of r.rest(true))
      if (token.kind !== 'word' && token.kind !== 'number' && token.text !== '-') throw new NoMatch();
  },
  // ALTER SEQUENCE public.s OWNED BY public.t.c
  (r) => {
    r.expect('alter', 'sequence');
    r.publicName();
    r.expect('owned', 'by');
    r.publicName();
    r.expect('.');
    r.name();
    r.end();
  },
  // ALTER TABLE [ONLY] public.t ...
  (r) => {
    r.expect('alter', 'table');
    r.accept('only');
    r.publicName();
    if (r.accept('add', 'constraint')) {
      r.name();
      const kind = r.peek()?.text;
      if (!['primary', 'unique', 'foreign', 'check', 'exclude'].includes(kind ?? '')) throw new NoMatch();
      onlyOurSchemas(r.rest());
      return;
    }
    r.expect('alter', 'column');
    r.name();
    if (r.accept('set', '(')) {
      // PGlite's own column option (load.ts skips it on a server)
      r.expect('pg_attver', '=');
      if (r.peek()?.kind !== 'number') throw new NoMatch();
      r.i++;
      r.expect(')');
      r.end();
      return;
    }
    if (r.accept('set', 'default', 'nextval', '(')) {
      const sequence = r.peek();
      if (sequence?.kind !== 'string' || !PUBLIC_SEQUENCE.test(sequence.text)) throw new NoMatch();
      r.i++;
      r.expect('::', 'regclass', ')');
      r.end();
      return;
    }
    r.expect('add', 'generated');
    if (!r.accept('always')) r.expect('by', 'default');
    r.expect('as', 'identity', '(');
    r.expect('sequence', 'name');
    r.publicName();
    while (!r.accept(')')) {
      const token = r.peek();
      if (!token || (token.kind !== 'word' && token.kind !== 'number' && token.text !== '-'))
        throw new NoMatch();
      r.i++;
    }
    r.end();
  },
  // INSERT INTO public.t [OVERRIDING SYSTEM VALUE] VALUES (literal, ...), ...
  (r) => {
    r.expect('insert', 'into');
    r.publicName();
    r.accept('overriding', 'system', 'value');
    r.expect('values');
    for (;;) {
      literals(r.group());
      if (r.done) return;
      r.expect(',');
    }
  },
];

/** At most this much of a refused statement is quoted back (a multi-row INSERT can be a megabyte). */
const SHOWN = 120;

/** Throws ForeignStatementError unless `statement` has one of the shapes a dump of ours holds. */
export function checkStatement(statement: string): void {
  let tokens: Token[];
  try {
    tokens = tokenize(statement);
  } catch (error) {
    throw new ForeignStatementError(`${refusal(statement)} (${(error as Error).message})`);
  }
  for (const shape of SHAPES) {
    const reader = new Reader(tokens);
    try {
      shape(reader);
      return;
    } catch (error) {
      if (!(error instanceof NoMatch)) throw error;
    }
  }
  throw new ForeignStatementError(refusal(statement));
}

const refusal = (statement: string) => {
  const oneLine = statement.replace(/\s+/g, ' ');
  const shown = oneLine.length > SHOWN ? `${oneLine.slice(0, SHOWN)}...` : oneLine;
  return `The dump holds a statement a MiniTwit backup never holds: ${JSON.stringify(shown)}`;
};

/** psql meta-commands: pg_dump writes \restrict and \unrestrict (with a random key) and nothing else. */
export function checkMetaCommand(line: string): void {
  if (/^\\(?:un)?restrict [A-Za-z0-9]+\s*$/.test(line)) return;
  throw new ForeignStatementError(
    `The dump holds a psql command a MiniTwit backup never holds: ${JSON.stringify(line.slice(0, SHOWN))}`,
  );
}
