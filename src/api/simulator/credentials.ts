// The simulator API's Basic credentials: SIMULATOR_USERNAME and SIMULATOR_PASSWORD, or the course's.
import type { Config } from '../../config.js';

/**
 * The course's simulator's credentials, published with the course: anyone can read them, and with them
 * post and follow as any user. The embedded database's default (a laptop, a replay); with a server
 * database they must be set explicitly (loadServerConfig), and whenever they are in use a warning says so.
 */
export const COURSE_SIMULATOR_CREDENTIALS = { username: 'simulator', password: 'super_safe!' } as const;

/** The credentials the simulator API accepts: those set, or the course's. */
export function simulatorCredentials(config: Config): { username: string; password: string } {
  return {
    username: config.simulatorUsername ?? COURSE_SIMULATOR_CREDENTIALS.username,
    password: config.simulatorPassword ?? COURSE_SIMULATOR_CREDENTIALS.password,
  };
}

/** Whether the simulator API accepts the course's published credentials (a warning at start says so). */
export function acceptsCourseCredentials(config: Config): boolean {
  const { username, password } = simulatorCredentials(config);
  return (
    username === COURSE_SIMULATOR_CREDENTIALS.username && password === COURSE_SIMULATOR_CREDENTIALS.password
  );
}
