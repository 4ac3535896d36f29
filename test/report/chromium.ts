/**
 * A headless Chromium driven over the Chrome DevTools Protocol on
 * --remote-debugging-pipe (fd 3: commands in, fd 4: replies and events out,
 * each message a JSON text ended by a NUL byte). No npm dependency: Debian's
 * `chromium` and Node's child_process are enough.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Where Debian puts the browser; CHROMIUM overrides. */
const CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath(): string {
  const override = process.env.CHROMIUM;
  if (override) {
    if (!existsSync(override)) throw new Error(`CHROMIUM=${override} does not exist (unset it to use Debian's: apt-get install -y chromium)`);
    return override;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `headless Chromium not found (looked for ${CANDIDATES.join(', ')}): run \`apt-get install -y chromium\` ` +
        '(CI installs it) or set CHROMIUM=/path/to/chromium',
    );
  }
  return found;
}

/** Flags for a quiet, offline, throwaway browser. */
export function chromiumFlags(userDataDir: string, extra: string[] = []): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--disable-extensions',
    '--disable-default-apps',
    '--disable-dev-shm-usage',
    '--hide-scrollbars',
    '--mute-audio',
    `--user-data-dir=${userDataDir}`,
    ...extra,
  ];
}

export interface CdpEvent {
  method: string;
  params: Record<string, any>;
  sessionId?: string;
}

type Pending = { resolve: (v: any) => void; reject: (e: Error) => void; method: string };

export class Browser {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private buffer = '';
  private listeners: Array<(e: CdpEvent) => void> = [];
  readonly events: CdpEvent[] = [];
  private stderr = '';

  private constructor(
    private child: ChildProcess,
    private userDataDir: string,
  ) {
    const out = child.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => this.receive(chunk));
    child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    child.on('exit', (code, signal) => {
      for (const p of this.pending.values()) {
        p.reject(new Error(`chromium exited (${code ?? signal}) during ${p.method}; stderr tail:\n${this.stderr}`));
      }
      this.pending.clear();
    });
  }

  static async launch(extraFlags: string[] = []): Promise<Browser> {
    const binary = chromiumPath();
    const userDataDir = mkdtempSync(join(tmpdir(), 'fsync-report-chromium-'));
    const child = spawn(binary, [...chromiumFlags(userDataDir, extraFlags), '--remote-debugging-pipe', 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    const browser = new Browser(child, userDataDir);
    await browser.send('Browser.getVersion');
    return browser;
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\0')) >= 0) {
      const text = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 1);
      const msg = JSON.parse(text) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: any; sessionId?: string };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (!p) continue;
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result);
      } else if (msg.method) {
        const event: CdpEvent = { method: msg.method, params: msg.params ?? {}, sessionId: msg.sessionId };
        this.events.push(event);
        for (const l of this.listeners) l(event);
      }
    }
  }

  send<T = any>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    const input = this.child.stdio[3] as Writable;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  on(listener: (e: CdpEvent) => void): void {
    this.listeners.push(listener);
  }

  /** A new tab, attached with a flat session. */
  async newPage(): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId, targetId);
    await page.send('Page.bringToFront'); // input events reach only the tab in front
    return page;
  }

  /** Asks the browser to quit, kills it after 5 s, and removes its profile once it has exited. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    this.send('Browser.close').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    rmSync(this.userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

export class Page {
  constructor(
    readonly browser: Browser,
    readonly sessionId: string,
    readonly targetId: string,
  ) {}

  close(): Promise<unknown> {
    return this.browser.send('Target.closeTarget', { targetId: this.targetId });
  }

  send<T = any>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.browser.send<T>(method, params, this.sessionId);
  }

  /** Events of this tab received so far. */
  events(method?: string): CdpEvent[] {
    return this.browser.events.filter((e) => e.sessionId === this.sessionId && (!method || e.method === method));
  }

  /** The value of a page expression (awaited when it is a promise). */
  async evaluate<T = any>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      'Runtime.evaluate',
      { expression, returnByValue: true, awaitPromise: true },
    );
    if (r.exceptionDetails) {
      throw new Error(`evaluate failed: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    }
    return r.result.value;
  }

  /** Polls `expression` until it is truthy, or fails after `timeoutMs`. */
  async waitFor(expression: string, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      // Between documents the expression may throw: that counts as not yet.
      if (await this.evaluate<boolean>(`(() => { try { return Boolean(${expression}); } catch (e) { return false; } })()`)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
  }
}
