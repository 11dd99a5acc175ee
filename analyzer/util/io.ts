// What a command reads and writes besides its arguments: its output streams,
// its environment and its working directory. A command takes them from here,
// never from `process`, so the resident server can run it for a client by
// handing it the client's (server/server.ts) while the process's own stay put.

/** A stream a command writes text to; `isTTY` and `columns` say whether it is a terminal and how wide. */
export interface Out {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Out;
  stderr: Out;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** the command was handed to a resident server: it runs in that process, not in one of its own */
  served?: boolean;
}

/** This process's own streams, environment and directory: a command run from the command line. */
export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
