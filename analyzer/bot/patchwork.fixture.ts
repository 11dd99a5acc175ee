// A patchwork stand-in for the bot's tests, on 127.0.0.1: the patches it
// knows by Message-ID, and every checks request recorded as patchwork
// receives it (method, path, Authorization, body).

import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  authorization: string;
  body: Record<string, unknown> | null;
}

export class FakePatchwork {
  readonly received: Received[] = [];
  readonly checks = new Map<number, Record<string, unknown>[]>();
  private ids = new Map<string, number>();
  private holding = 0;
  private onHeld: () => void = () => undefined;
  /** resolves when a POST was stored and left unanswered (hold()) */
  held: Promise<void> = new Promise((r) => (this.onHeld = r));
  private server = http.createServer((req, res) => this.handle(req, res));
  url = '';

  /** patchwork ids for these Message-IDs (with their angle brackets) */
  know(msgids: string[]): void {
    for (const m of msgids) if (!this.ids.has(m)) this.ids.set(m, 100 + this.ids.size);
  }

  /** the next n checks POSTed are stored, and their answer never sent: as when the poster dies before it hears back */
  hold(n: number): void {
    this.holding = n;
  }

  /** patchwork has not got these yet */
  forget(msgids: string[]): void {
    for (const m of msgids) this.ids.delete(m);
  }

  idOf(msgid: string): number | undefined {
    return this.ids.get(msgid);
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const u = new URL(req.url ?? '/', 'http://x');
      const send = (code: number, v: unknown) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (req.method === 'GET' && u.pathname === '/api/1.1/patches/') {
        const id = this.ids.get(`<${u.searchParams.get('msgid') ?? ''}>`);
        return send(200, id === undefined ? [] : [{ id, msgid: u.searchParams.get('msgid') }]);
      }
      const m = /^\/api\/1\.1\/patches\/(\d+)\/checks\/$/.exec(u.pathname);
      if (!m) return send(404, { detail: 'Not found.' });
      const id = Number(m[1]);
      if (req.method === 'GET') return send(200, this.checks.get(id) ?? []);
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = null;
      }
      this.received.push({ method: req.method ?? '', path: u.pathname, authorization: req.headers.authorization ?? '', body });
      if (req.method !== 'POST' || !body) return send(400, { detail: 'bad request' });
      const list = this.checks.get(id) ?? [];
      list.push(body);
      this.checks.set(id, list);
      if (this.holding > 0) {
        this.holding--;
        this.onHeld();
        return undefined;
      }
      return send(201, { id: list.length, ...body });
    });
  }
}
