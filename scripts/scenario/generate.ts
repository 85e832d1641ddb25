// Generates a scenario in the course's format, deterministic for a seed, shaped like the real one:
// about 1% registers (spread over the first third), 44% tweets, 38% follows, 17% unfollows (a quarter
// of them of someone not followed), a few very active users, and delays that shrink as activity grows.
import type { ScenarioAction } from '../replay/scenario-file.js';
import { email, password, personName } from './people.js';
import { SeededRandom, WeightedPool } from './random.js';
import { tweetText } from './texts.js';

export interface GenerateOptions {
  actions: number;
  /** Registered users; default about 0.8% of the actions, as in the real file (at least 2). */
  users?: number;
  seed?: string | number;
  /**
   * Appended to every user name (e.g. ` smoke-17`): the names come from a small pool, the course's own, so
   * two scenarios replayed onto one database would otherwise share users and break each other's end state.
   */
  userSuffix?: string;
}

const ACTION_WEIGHTS = { tweet: 44, follow: 38, unfollow: 17 };
/** Share of unfollows aimed at someone not followed, which the API must accept and ignore. */
const UNFOLLOW_NOT_FOLLOWED_SHARE = 0.25;
const REGISTER_SPAN = 0.36;
/** The real file starts on 2020-02-21. */
const FIRST_TIMESTAMP = 1582246860738;

const defaultUserCount = (actions: number) => Math.max(2, Math.round(actions * 0.008));

/** Where the registers go: line 0, then mostly early, as the real file's sign-ups. */
function registerPositions(random: SeededRandom, actions: number, users: number): Set<number> {
  const positions = new Set<number>([0]);
  const span = Math.max(users, Math.ceil(actions * REGISTER_SPAN));
  for (let attempt = 0; positions.size < users && attempt < users * 20; attempt++) {
    positions.add(Math.floor(span * random.next() ** 1.5));
  }
  for (let position = 0; positions.size < users; position++) positions.add(position);
  return positions;
}

/** Log-normal delays (ms) whose median falls from about 10 minutes to 15 seconds along the file. */
function delay(random: SeededRandom, position: number, actions: number): number {
  if (position === 0) return 0;
  const mu = 13.4 - 4 * (position / actions);
  return Math.min(100_000_000, Math.round(Math.exp(mu + 1.3 * random.gaussian())));
}

class Population {
  readonly active = new WeightedPool<string>();
  readonly all: string[] = [];
  readonly follows = new Map<string, Set<string>>();
  private readonly names = new Set<string>();

  constructor(private readonly userSuffix: string) {}

  newName(random: SeededRandom): { user: string; first: string; last: string } {
    for (let attempt = 0; ; attempt++) {
      const name = personName(random);
      const suffix = attempt < 50 ? '' : ` ${attempt}`;
      const user = `${name.first} ${name.last}${suffix}${this.userSuffix}`;
      if (!this.names.has(user)) return { user, ...name };
    }
  }

  add(random: SeededRandom, user: string): void {
    this.names.add(user);
    this.all.push(user);
    this.follows.set(user, new Set());
    // A few users do most of the posting, as in the real file.
    this.active.add(user, Math.exp(random.gaussian()));
  }

  /** Someone `user` does not follow yet, or undefined when `user` follows everyone. */
  notFollowedBy(random: SeededRandom, user: string): string | undefined {
    const followed = this.follows.get(user)!;
    if (followed.size >= this.all.length - 1) return undefined;
    for (;;) {
      const other = random.pick(this.all);
      if (other !== user && !followed.has(other)) return other;
    }
  }
}

type Body =
  | { kind: 'register'; user: string; email: string; password: string }
  | { kind: 'tweet'; user: string; text: string }
  | { kind: 'follow' | 'unfollow'; user: string; other: string };

function nextAction(random: SeededRandom, people: Population): Body {
  const user = people.active.pick(random);
  const tweet = (): Body => ({ kind: 'tweet', user, text: tweetText(random) });
  if (people.all.length < 2) return tweet();
  const roll = random.next() * (ACTION_WEIGHTS.tweet + ACTION_WEIGHTS.follow + ACTION_WEIGHTS.unfollow);
  if (roll < ACTION_WEIGHTS.tweet) return tweet();
  const followed = people.follows.get(user)!;
  if (roll < ACTION_WEIGHTS.tweet + ACTION_WEIGHTS.follow) {
    const other = people.notFollowedBy(random, user);
    if (other === undefined) return tweet();
    followed.add(other);
    return { kind: 'follow', user, other };
  }
  if (followed.size > 0 && !random.chance(UNFOLLOW_NOT_FOLLOWED_SHARE)) {
    const other = random.pick([...followed]);
    followed.delete(other);
    return { kind: 'unfollow', user, other };
  }
  const other = people.notFollowedBy(random, user);
  return other === undefined ? tweet() : { kind: 'unfollow', user, other };
}

export function generateScenario(options: GenerateOptions): ScenarioAction[] {
  const total = Math.max(0, Math.floor(options.actions));
  const random = new SeededRandom(options.seed ?? 0);
  const users = Math.min(total, options.users ?? defaultUserCount(total));
  const registers = registerPositions(random, total, users);
  const people = new Population(options.userSuffix ?? '');
  const actions: ScenarioAction[] = [];
  let timestamp = FIRST_TIMESTAMP + random.int(3_600_000);
  for (let id = 0; id < total; id++) {
    const wait = delay(random, id, total);
    timestamp += wait;
    let body: Body;
    if (registers.has(id) || people.all.length === 0) {
      const name = people.newName(random);
      people.add(random, name.user);
      body = { kind: 'register', user: name.user, email: email(random, name), password: password(random) };
    } else {
      body = nextAction(random, people);
    }
    actions.push({ id, delay: wait, timestamp, ...body });
  }
  return actions;
}
