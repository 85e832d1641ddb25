// Tweet texts like the real scenario's: sentences of an old novel's English, at most 140 characters,
// with typographic quotes and dashes, and now and then `<`, `&`, an emoji or a non-Latin word.
import type { SeededRandom } from './random.js';

// prettier-ignore
const SUBJECTS = [
  'I', 'He', 'She', 'We', 'They', 'Mr. Holmes', 'The Colonel', 'Sir Henry', 'The old man', 'My friend',
  'The King', 'Watson', 'The stranger', 'His wife', 'Nobody', 'The doctor', 'A peddler of heads',
];
// prettier-ignore
const VERBS = [
  'saw', 'had', 'knew', 'said', 'thought', 'heard', 'found', 'remembered', 'glanced at', 'stared at',
  'spoke of', 'waited for', 'wrote to', 'looked upon', 'came back with', 'could not bear',
];
// prettier-ignore
const OBJECTS = [
  'the white face of it', 'a full, black beard', 'the vanishing cloth', 'his dull, malevolent eyes',
  'the bed beside him', 'a very cheerful place', 'the heads of the men', 'the last of the letters',
  'a West-End practice', 'the rich banners waving', 'his nightdress', 'the door which was ajar',
  'the fun', 'our desires', 'the facts', 'the animal', 'the lamp on the table', 'the moor at night', 'his father’s influence', 'the King’s letter',
];
// prettier-ignore
const TAILS = [
  'yesterday', 'from hour to hour', 'in the same time', 'at last', 'with some confidence', 'in reality',
  'before I am in mine', 'as you perceive', 'as well known in surgery', 'without a word',
];
const SPICE = [' & co.', ' <3', ' — or so he said', ' (a < b)', ' 😀', ' naïve café', ' 東京', ' & Watson'];

const MAX_LENGTH = 140;

function sentence(random: SeededRandom): string {
  let text = `${random.pick(SUBJECTS)} ${random.pick(VERBS)} ${random.pick(OBJECTS)}`;
  if (random.chance(0.5)) text += `${random.chance(0.5) ? ',' : ''} ${random.pick(TAILS)}`;
  if (random.chance(0.1)) text += `—${random.pick(TAILS)}`;
  if (random.chance(0.08)) text += random.pick(SPICE);
  return text + random.pick(['.', '.', '.', '?', '!']);
}

export function tweetText(random: SeededRandom): string {
  let text = sentence(random);
  while (random.chance(0.35)) {
    const longer = `${text} ${sentence(random)}`;
    if (longer.length > MAX_LENGTH - 2) break;
    text = longer;
  }
  const quoting = random.next();
  if (quoting < 0.15) text = `“${text}”`;
  else if (quoting < 0.3)
    text = `${text}”`; // The real texts often keep only a closing quote.
  else if (quoting < 0.35) text = `‘${text}’`;
  // Cut by code points, so an emoji is never split in half.
  return Array.from(text).slice(0, MAX_LENGTH).join('');
}
