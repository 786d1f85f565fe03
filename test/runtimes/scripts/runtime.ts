/**
 * What the scripts in this folder need from Deno or Bun, typed here because the repository's
 * TypeScript setup knows only Node's globals.
 */
interface DenoGlobal {
  args: string[];
  serve(
    options: { port: number; hostname: string; onListen?: (address: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
}
interface BunGlobal {
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request) => Response | Promise<Response>;
  }): { port: number };
}

const globals = globalThis as { Deno?: DenoGlobal; Bun?: BunGlobal };

/** The script's own arguments, after the runtime's. */
export function scriptArguments(): string[] {
  if (globals.Deno) return globals.Deno.args;
  return (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
}

/** Serve on a loopback port the OS picks, with the runtime's own server; answers the port. */
export function serve(handler: (request: Request) => Promise<Response>): Promise<number> {
  if (globals.Deno) {
    const deno = globals.Deno;
    return new Promise((resolve) => {
      deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => resolve(port) }, handler);
    });
  }
  if (globals.Bun)
    return Promise.resolve(globals.Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: handler }).port);
  throw new Error('neither Deno nor Bun: these scripts exist to run on them');
}

/** Which runtime runs this script, as the test expects to read it back. */
export function runtimeName(): string {
  if (globals.Deno) return 'deno';
  if (globals.Bun) return 'bun';
  return (globalThis as { process?: { release?: { name?: string } } }).process?.release?.name ?? 'unknown';
}
