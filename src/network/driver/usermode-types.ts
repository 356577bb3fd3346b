// The shapes the user-mode network tools share (pasta.ts, slirp.ts, usermode.ts), in a module of
// their own so the tools and the policy do not import each other.

/** The namespaces the tool joins, as paths (a pin, or /proc/PID/ns/… of the created container). */
export interface UserModeTarget {
  netns: string;
  userns: string;
}

export interface UserModePort {
  /** '' or 0.0.0.0: every host address. */
  hostIP: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

/** The last non-empty line of a tool's output (its reason for failing). */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1) ?? '';
}
