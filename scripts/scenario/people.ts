// Made-up users like the course's scenario ("Roger Histand", Roger+Histand@hotmail.com, ]=)[X{Km{z),
// now and then with the characters a careless server mishandles: accents, apostrophes, CJK, emoji, + and %.
import type { SeededRandom } from './random.js';

// prettier-ignore
const FIRST_NAMES = [
  'Roger', 'Geoffrey', 'Wendell', 'Nathan', 'Quintin', 'Mellie', 'Malcolm', 'Octavio', 'Johnnie',
  'Jacqualine', 'Luanna', 'Blair', 'Guadalupe', 'Kym', 'Roderick', 'Georgie', 'Lyndsay', 'Maria', 'Stacy',
  'Odessa', 'Carrol', 'Sherril', 'Ardith', 'Bernard', 'Cecily', 'Dorian', 'Elvira', 'Fletcher', 'Gwendolyn',
  'Harlan', 'Imogene', 'Jasper', 'Kendra', 'Lamont', 'Marisol', 'Norris', 'Ophelia', 'Percival', 'Rosalind',
  'Sylvester', 'Tamsin', 'Ulysses', 'Verna', 'Wilbur', 'Yolanda', 'Zachary',
];
// prettier-ignore
const LAST_NAMES = [
  'Histand', 'Stieff', 'Ballan', 'Sirmon', 'Sitts', 'Yost', 'Janski', 'Wagganer', 'Calixto', 'Gilcoine',
  'Muro', 'Reasoner', 'Rumps', 'Yarnell', 'Tauscher', 'Mathey', 'Corti', 'Aceto', 'Consolo', 'Redepenning',
  'Hollopeter', 'Tazewell', 'Abernathy', 'Brinkerhoff', 'Castellanos', 'Dunkley', 'Eberhardt', 'Fairweather',
  'Gallager', 'Hochstetler', 'Isringhausen', 'Jablonski', 'Kowalczyk', 'Lindqvist', 'Mcquown', 'Nordstrom',
  'Ostrowski', 'Pettibone', 'Quackenbush', 'Rutkowski', 'Schaumburg', 'Trevino', 'Umberger', 'Vanhorn',
];
// Names that test a server's encoding: URL-encoding, JSON escapes, UTF-8 and SQL quoting.
// prettier-ignore
const UNUSUAL_FIRST_NAMES = [
  'José', 'Zoë', 'Chloé', 'Søren', 'Łukasz', 'François', 'Ægir', 'Anne+Marie', 'Jean-Luc', '太郎', '美咲',
  'Ólafur', 'Dvořák', 'Seán', '🦊 Fox', 'Ana María',
];
// prettier-ignore
const UNUSUAL_LAST_NAMES = [
  "O'Brien", "D'Angelo", "N'Diaye", 'Müller', 'Ångström', 'Nuñez', '山田', '李', 'Smith 😀', '100%',
  'Brown+Green', 'Øvergård', 'Şahin', 'Van der Berg', "O'Neil-Smyth", '50%off',
];
const DOMAINS = ['gmail.com', 'ku.dk', 'itu.dk', 'hotmail.com', 'dtu.dk', 'protonmail.com'];
const EMAIL_SEPARATORS = ['+', '.', '-'];
// Printable ASCII without space, as the real passwords; the tricky ones are forced in now and then.
const PASSWORD_CHARACTERS = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i));
const TRICKY_PASSWORD_CHARACTERS = [...`"'\\[]{}<>&%`];

const UNUSUAL_NAME_CHANCE = 0.08;

export function personName(random: SeededRandom): { first: string; last: string } {
  const first = random.chance(UNUSUAL_NAME_CHANCE)
    ? random.pick(UNUSUAL_FIRST_NAMES)
    : random.pick(FIRST_NAMES);
  const last = random.chance(UNUSUAL_NAME_CHANCE) ? random.pick(UNUSUAL_LAST_NAMES) : random.pick(LAST_NAMES);
  return { first, last };
}

/** `First+Last@domain`, `First.Last@domain` or `First-Last@domain`, as in the real file. */
export function email(random: SeededRandom, name: { first: string; last: string }): string {
  const separator = random.pick(EMAIL_SEPARATORS);
  const part = (text: string) => text.replace(/\s+/g, separator);
  return `${part(name.first)}${separator}${part(name.last)}@${random.pick(DOMAINS)}`;
}

export function password(random: SeededRandom): string {
  const characters = Array.from({ length: random.between(5, 10) }, () => random.pick(PASSWORD_CHARACTERS));
  if (random.chance(0.5)) {
    characters[random.int(characters.length)] = random.pick(TRICKY_PASSWORD_CHARACTERS);
  }
  return characters.join('');
}
