// What the database must hold after a scenario is replayed in order, starting without its users:
// registered users only; a tweet or follow by or of an unknown user fails and changes nothing;
// following twice is one follow; unfollowing someone not followed changes nothing.
import type { ScenarioAction } from './scenario-file.js';

interface ExpectedUserState {
  messages: number;
  follows: Set<string>;
}

export interface ExpectedState {
  /** Every registered user, in registration order. */
  users: Map<string, ExpectedUserState>;
  /** Actions that fail even when replayed in order (they name an unknown user): the scenario's own errors. */
  failingActions: number;
  /** Registers of a name already registered: refused, and not errors for the simulator. */
  repeatedRegisters: number;
}

export function expectedEndState(actions: readonly ScenarioAction[]): ExpectedState {
  const users = new Map<string, ExpectedUserState>();
  let failingActions = 0;
  let repeatedRegisters = 0;
  for (const action of actions) {
    const actor = users.get(action.user);
    switch (action.kind) {
      case 'register':
        if (actor) repeatedRegisters++;
        else users.set(action.user, { messages: 0, follows: new Set() });
        break;
      case 'tweet':
        if (actor) actor.messages++;
        else failingActions++;
        break;
      case 'follow':
      case 'unfollow':
        if (!actor || !users.has(action.other)) failingActions++;
        else if (action.kind === 'follow') actor.follows.add(action.other);
        else actor.follows.delete(action.other);
        break;
    }
  }
  return { users, failingActions, repeatedRegisters };
}
