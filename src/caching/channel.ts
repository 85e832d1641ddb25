// The LISTEN/NOTIFY channel on which replicas tell each other what changed (invalidation.ts), and the
// payload that means "drop every timeline" (sent by a process without a cache: `npm run flag`).
export const INVALIDATION_CHANNEL = 'minitwit_timelines';
export const EVERYTHING_CHANGED = '- m*';
