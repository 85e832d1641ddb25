// Reads an ECS field from a log line whether it was written nested ({"http":{"request":...}}) or dotted
// ("http.request.id"): Elasticsearch treats both alike, and ecs-pino-format writes some of each.
export function field(line: Record<string, unknown>, path: string): unknown {
  if (path in line) return line[path];
  const parts = path.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    const head = parts.slice(0, i).join('.');
    const value = line[head];
    if (value && typeof value === 'object') {
      const found = field(value as Record<string, unknown>, parts.slice(i).join('.'));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The access-log lines (one per request): the ones with an http.response.status_code. */
export const accessLines = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => field(line, 'http.response.status_code') !== undefined);
