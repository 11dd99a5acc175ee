// The signals a run ends on cleanly, and the line it ends with: cli.ts for a
// run in its own process, server/client.ts for a client waiting on a server.
// The exit code is 128 + the number.

export const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

export function interruptedLine(name: string): string {
  return `callorder: interrupted by ${name}\n`;
}
