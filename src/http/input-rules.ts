// What any input may hold, for both roles' schemas: generous limits (the database's CHECKs agree) and the
// characters PostgreSQL or a one-line field cannot take.

export const LIMITS = { username: 200, email: 320, password: 1024, message: 10000, listMax: 10000 };

/** Names, e-mails: no control characters at all. */
export const SINGLE_LINE = '^[^\\u0000-\\u001f\\u007f]*$';
/** Texts and passwords: anything but NUL, which PostgreSQL's text cannot store. */
export const NO_NUL = '^[^\\u0000]*$';
