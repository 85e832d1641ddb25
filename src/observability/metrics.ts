// Prometheus metrics: one registry per process, shared by both roles when they run together.
import { Counter, Gauge, Registry } from 'prom-client';

export const registry = new Registry();

export type BusinessEvent = 'user_registered' | 'message_posted' | 'followed' | 'unfollowed';
export type Source = 'web' | 'api';

const businessEvents = new Counter({
  name: 'minitwit_business_events_total',
  help: 'Writes users made, by kind (user_registered, message_posted, followed, unfollowed) and source (web, api)',
  labelNames: ['event', 'source'] as const,
  registers: [registry],
});

const latestActionId = new Gauge({
  name: 'minitwit_simulator_latest_action_id',
  help: "The simulator's latest action id this process recorded",
  registers: [registry],
});

/** Counts one successful write; call it after the write is stored. */
export function countBusinessEvent(event: BusinessEvent, source: Source): void {
  businessEvents.inc({ event, source });
}

export function setLatestActionId(actionId: number): void {
  latestActionId.set(actionId);
}
