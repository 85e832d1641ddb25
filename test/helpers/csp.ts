// A reply's Content-Security-Policy as a map from each directive to its values.
export const cspOf = (headers: Record<string, unknown>) =>
  new Map(
    String((headers['content-security-policy'] as string | undefined) ?? '')
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name!, values]),
  );
