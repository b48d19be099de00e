// What every browser test needs: a `confide` server on free loopback ports
// with its own data folder (demo accounts on), headless Chromium contexts
// with fake camera and microphone, polling with diagnostics, and teardown
// of all of it whatever happens.
//
// Env: TEST_CONFIDE_BIN (default target/debug/confide in this repository),
//      CHROMIUM (default /usr/bin/chromium),
//      CONFIDE_SERVER_LOG=path: also write the whole server output there.

import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import dgram from 'node:dgram';
import { chromium } from 'playwright-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIDE_BIN = process.env.TEST_CONFIDE_BIN || join(REPO, 'target/debug/confide');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const CHROME_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];

const execFileP = promisify(execFile);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The server reads CONFIDE_* variables as configuration and rejects unknown
// ones: children get an environment without any, so a developer's own
// settings cannot change what is tested.
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CONFIDE_')));

function freePort(kind, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    if (kind === 'udp') {
      const sock = dgram.createSocket('udp4');
      sock.once('error', reject);
      sock.bind(0, host, () => {
        const { port } = sock.address();
        sock.close(() => resolve(port));
      });
    } else {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, host, () => {
        const { port } = srv.address();
        srv.close(() => resolve(port));
      });
    }
  });
}

/** How many consecutive UDP ports `freeMediaPorts` finds: room for the
 *  server's media workers (worker i binds the first port + i). */
const MEDIA_PORTS = 8;

/** The first of MEDIA_PORTS consecutive UDP ports on `host` that are all
 *  free now: `--media-listen` takes the first (a restart reuses it). */
async function freeMediaPorts(host = '127.0.0.1') {
  for (;;) {
    const first = await freePort('udp', host);
    if (first > 65535 - MEDIA_PORTS) continue;
    const held = [];
    let free = true;
    for (let i = 1; i < MEDIA_PORTS && free; i++) {
      const sock = dgram.createSocket('udp4');
      free = await new Promise((resolve) => {
        sock.once('error', () => resolve(false));
        sock.bind(first + i, host, () => resolve(true));
      });
      held.push(sock);
    }
    await Promise.all(held.map((sock) => new Promise((resolve) => {
      try { sock.close(resolve); } catch { resolve(); }
    })));
    if (free) return first;
  }
}

export { freePort, freeMediaPorts };

export class Harness {
  constructor() {
    this.tempDirs = [];
    this.host = '127.0.0.1';
    this.server = null;
    this.serverExited = null;
    this.serverLog = [];
    this.contexts = new Map(); // name -> BrowserContext
    this.consoleLogs = new Map(); // name -> [lines]
    /** Demo accounts by role: { email, password }. */
    this.accounts = {};
    /** Screenshots the tests save, to look at after a run. */
    this.artifacts = join(REPO, 'target', 'screenshots');
  }

  async tempDir(prefix) {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.tempDirs.push(dir);
    return dir;
  }

  diagnostics() {
    let out = '\n---- server stderr/stdout (tail) ----\n' + this.serverLog.slice(-200).join('');
    for (const [name, lines] of this.consoleLogs) {
      out += `\n---- ${name} console ----\n` + lines.join('\n');
    }
    return out;
  }

  get base() {
    return `${this.https ? 'https' : 'http'}://${this.host}:${this.httpPort}`;
  }

  /** Starts `confide serve` with a fresh data folder and `configText`, its
   *  HTTP and media ports on `host` (default 127.0.0.1). `https`: serve
   *  HTTPS with a certificate made here for `host` (browsers allow camera
   *  and microphone only to secure origins, and an address other than
   *  127.0.0.1 is one only over HTTPS); `this.certificate` is its PEM.
   *  `files`: written into the data folder first ({name: text}: keys
   *  several nodes share). */
  async start(configText = '# defaults plus command-line flags\n', { host = '127.0.0.1', https = false, httpPort = null, files = {} } = {}) {
    this.host = host;
    this.https = https;
    await mkdir(this.artifacts, { recursive: true });
    this.dataDir = await this.tempDir('confide-data-');
    for (const [name, text] of Object.entries(files)) await writeFile(join(this.dataDir, name), text, { mode: 0o600 });
    this.configFile = join(this.dataDir, 'confide.toml');
    if (https) {
      const cert = join(this.dataDir, 'cert.pem');
      const key = join(this.dataDir, 'key.pem');
      // prettier-ignore
      await execFileP('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${host}`, '-addext', `subjectAltName=IP:${host}`]);
      this.certificate = await readFile(cert, 'utf8');
      configText += `\n[http.tls]\ncert_file = "${cert}"\nkey_file = "${key}"\n`;
    }
    await writeFile(this.configFile, configText);
    this.httpPort = httpPort ?? (await freePort('tcp', host));
    this.mediaPort = await freeMediaPorts(host);
    await this.launch();
  }

  /** Stops the server (SIGTERM) and starts it again on the same ports,
   *  configuration and data: an upgrade or `systemctl restart`. */
  async restart() {
    const exit = await this.stopServer();
    assert.deepEqual(exit, { code: 0, signal: null }, 'a clean stop on SIGTERM' + this.diagnostics());
    await this.launch();
  }

  async launch() {
    const host = this.host;
    const args = ['--config', this.configFile, '--http-listen', `${host}:${this.httpPort}`, '--media-listen', `${host}:${this.mediaPort}`, '--data-dir', this.dataDir, 'serve'];
    const server = spawn(CONFIDE_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { RUST_LOG: 'info', ...childEnv } });
    this.server = server;
    this.serverExited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
    const logFile = process.env.CONFIDE_SERVER_LOG ? createWriteStream(process.env.CONFIDE_SERVER_LOG, { flags: 'a' }) : null;
    server.stderr.on('data', (d) => this.serverLog.push(d.toString()));
    if (logFile) {
      server.stdout.on('data', (d) => logFile.write(d));
      server.stderr.on('data', (d) => logFile.write(d));
      server.once('exit', () => logFile.end());
    }
    await new Promise((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error('server not ready within 30 s' + this.diagnostics())), 30_000);
      server.stdout.on('data', (d) => {
        const s = d.toString();
        this.serverLog.push(s);
        stdout += s;
        for (const m of stdout.matchAll(/^\s+(admin|psychologist|patient)\s+(\S+)\s+password (\S+)$/gm)) {
          this.accounts[m[1]] = { email: m[2], password: m[3] };
        }
        if (stdout.includes('Confide is running')) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      server.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited early (code ${code}, signal ${signal})` + this.diagnostics()));
      });
    });
  }

  /** SIGTERM, as systemd stops a service; the server drains (its
   *  shutdown.deadline_secs, 20 s by default) and exits. Returns how. */
  async stopServer() {
    const server = this.server;
    if (!server || server.exitCode !== null || server.signalCode !== null) return this.serverExited;
    server.kill('SIGTERM');
    // The deadline's timer is cleared once the server is out: a pending
    // timer would keep the test process alive for its whole minute.
    let timer;
    const deadline = new Promise((resolve) => {
      timer = setTimeout(() => resolve(false), 60_000);
    });
    const done = await Promise.race([this.serverExited.then(() => true), deadline]);
    clearTimeout(timer);
    if (!done) server.kill('SIGKILL');
    return this.serverExited;
  }

  /** `confide token` for a room. */
  async mintToken(room, identity) {
    const { stdout } = await execFileP(CONFIDE_BIN, ['--config', this.configFile, '--data-dir', this.dataDir, 'token', '--room', room, '--identity', identity], { env: childEnv });
    const token = stdout.trim().split(/\s+/).pop();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, `token output looks wrong: ${stdout}`);
    return token;
  }

  /** A browser of its own (persistent context, fresh profile); its page.
   *  `executable`: another Chromium launcher (one inside a namespace). */
  async browser(name, { viewport, executable } = {}) {
    const userDataDir = await this.tempDir(`confide-chrome-${name}-`);
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: executable || CHROMIUM,
      headless: true,
      args: CHROME_ARGS,
      viewport: viewport || { width: 1280, height: 800 },
      // Our own certificate for a test address (see `start`).
      ignoreHTTPSErrors: this.https,
    });
    this.contexts.set(name, context);
    const lines = [];
    this.consoleLogs.set(name, lines);
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => lines.push(`[pageerror] ${e.stack || e}`));
    return page;
  }

  async closeBrowser(name) {
    const context = this.contexts.get(name);
    this.contexts.delete(name);
    if (context) await context.close();
  }

  /** Polls `probe` (→ {ok, detail}) every 250 ms until ok, or fails with diagnostics. */
  async waitFor(what, timeoutMs, probe) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      last = await probe();
      if (last.ok) return last;
      if (Date.now() > deadline) {
        assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}\nlast seen: ${JSON.stringify(last.detail, null, 2)}` + this.diagnostics());
      }
      await sleep(250);
    }
  }

  /** Calls the server's API: `{status, body}` (the body parsed as JSON). */
  async call(path, { token, method = 'GET', body } = {}) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  /** Signs in through the API: the access token. */
  async login(email, password) {
    const { status, body } = await this.call('/api/auth/login', { method: 'POST', body: { email, password } });
    assert.equal(status, 200, JSON.stringify(body));
    return body.access_token;
  }

  /** Waits until the video page on `page` is in `state` (its data-state). */
  async waitVideoState(page, name, state, timeout = 20_000) {
    await this.waitFor(`${name}: ${state}`, timeout, async () => {
      const now = await page.evaluate(() => window.confideVideo && window.confideVideo.state);
      return { ok: now === state, detail: { state: now, text: await page.textContent('#message-text').catch(() => null) } };
    });
  }

  /** Makes `page` record the browser notifications it shows, in
   *  `window.shown` ({title, body}), with permission granted; on `path`
   *  only when given, and as a background tab (document.hidden) when
   *  `hidden`. */
  async recordNotifications(page, { path = null, hidden = false } = {}) {
    await page.addInitScript(({ path, hidden }) => {
      if (path && location.pathname !== path) return;
      if (hidden) Object.defineProperty(Document.prototype, 'hidden', { get: () => true });
      window.shown = [];
      window.Notification = class {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        constructor(title, options) {
          window.shown.push({ title, body: options && options.body });
        }
      };
    }, { path, hidden });
  }

  /** Signs in through the login page. */
  async signIn(page, role, next) {
    const account = this.accounts[role];
    assert.ok(account, `no demo ${role} account in the server's output`);
    await page.goto(`${this.base}/login.html${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    await page.fill('#email', account.email);
    await page.fill('#password', account.password);
    await page.click('button[type=submit]');
  }

  async teardown() {
    for (const ctx of this.contexts.values()) await ctx.close().catch(() => {});
    this.contexts.clear();
    await this.stopServer().catch(() => {});
    for (const dir of this.tempDirs) await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}
