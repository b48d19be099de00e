// End-to-end: two headless Chromiums join one room through web/call.html and
// must receive each other's audio and video through the SFU; when one leaves
// the other must see it go.
//
//   cargo build --bin confide && node --test tests/browser/
//
// Env: TEST_CONFIDE_BIN (default target/debug/confide in this repository),
//      CHROMIUM (default /usr/bin/chromium),
//      CONFIDE_SERVER_LOG=path: also write the whole server output there
//      (e.g. with RUST_LOG=debug).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import dgram from 'node:dgram';
import { chromium } from 'playwright-core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIDE_BIN = process.env.TEST_CONFIDE_BIN || join(REPO, 'target/debug/confide');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ROOM = 'browser-test';

const CHROME_ARGS = [
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

// The server reads CONFIDE_* variables as configuration and rejects unknown
// ones: children get an environment without any, so a developer's own
// settings cannot change what is tested.
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CONFIDE_')));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

// ---- shared state, torn down in after() whatever happens ---------------------

const tempDirs = [];
let server = null;
let serverExited = null;
const serverLog = [];
const contexts = new Map(); // name -> BrowserContext
const consoleLogs = new Map(); // name -> [lines]
let httpPort;
let configFile; // an explicit, empty config: the test ignores any ./confide.toml

async function tempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function diagnostics() {
  let out = '\n---- server stderr/stdout (tail) ----\n' + serverLog.slice(-200).join('');
  for (const [name, lines] of consoleLogs) {
    out += `\n---- ${name} console ----\n` + lines.join('\n');
  }
  return out;
}

async function startServer(dataDir) {
  httpPort = await freeTcpPort();
  const mediaPort = await freeUdpPort();
  server = spawn(
    CONFIDE_BIN,
    ['--config', configFile, '--http-listen', `127.0.0.1:${httpPort}`, '--media-listen', `127.0.0.1:${mediaPort}`, '--data-dir', dataDir, 'serve'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { RUST_LOG: 'info', ...childEnv } },
  );
  serverExited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
  const logFile = process.env.CONFIDE_SERVER_LOG ? createWriteStream(process.env.CONFIDE_SERVER_LOG) : null;
  server.stderr.on('data', (d) => serverLog.push(d.toString()));
  if (logFile) {
    server.stdout.on('data', (d) => logFile.write(d));
    server.stderr.on('data', (d) => logFile.write(d));
    server.once('exit', () => logFile.end());
  }

  await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error('server not ready within 30 s' + diagnostics())), 30_000);
    server.stdout.on('data', (d) => {
      const s = d.toString();
      serverLog.push(s);
      stdout += s;
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
      reject(new Error(`server exited early (code ${code}, signal ${signal})` + diagnostics()));
    });
  });
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  server.kill('SIGTERM');
  const done = await Promise.race([serverExited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) {
    server.kill('SIGKILL');
    await serverExited;
  }
}

async function mintToken(dataDir, identity) {
  const { stdout } = await execFileP(CONFIDE_BIN, ['--config', configFile, '--data-dir', dataDir, 'token', '--room', ROOM, '--identity', identity], { env: childEnv });
  const token = stdout.trim().split(/\s+/).pop();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, `token output looks wrong: ${stdout}`);
  return token;
}

async function openParticipant(name, token) {
  const userDataDir = await tempDir(`confide-chrome-${name}-`);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROME_ARGS,
  });
  contexts.set(name, context);
  const lines = [];
  consoleLogs.set(name, lines);
  const page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`[pageerror] ${e.stack || e}`));
  await page.goto(`http://127.0.0.1:${httpPort}/call.html?token=${encodeURIComponent(token)}`);
  return page;
}

// The inbound-rtp numbers we wait for, plus enough context to debug a failure.
async function mediaStats(page) {
  return page.evaluate(async () => {
    const c = window.confideCall;
    if (!c || !c.pc) return { state: c && c.state, stats: [] };
    const report = await c.pc.getStats();
    const stats = [];
    report.forEach((s) => {
      if (['inbound-rtp', 'outbound-rtp', 'candidate-pair', 'transport'].includes(s.type)) {
        const { type, kind, mid, packetsReceived, packetsSent, framesDecoded, bytesReceived, state, nominated, dtlsState, iceState } = s;
        stats.push({ type, kind, mid, packetsReceived, packetsSent, framesDecoded, bytesReceived, state, nominated, dtlsState, iceState });
      }
    });
    return {
      state: c.state,
      connectionState: c.pc.connectionState,
      signalingState: c.pc.signalingState,
      participants: c.participants,
      stats,
    };
  });
}

function mediaFlowing(s) {
  const inbound = s.stats.filter((x) => x.type === 'inbound-rtp');
  return (
    inbound.some((x) => x.kind === 'video' && x.framesDecoded > 0) &&
    inbound.some((x) => x.kind === 'audio' && x.packetsReceived > 0)
  );
}

async function waitFor(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last.ok) return last;
    if (Date.now() > deadline) {
      assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}\nlast seen: ${JSON.stringify(last.detail, null, 2)}` + diagnostics());
    }
    await sleep(500);
  }
}

// ---- the test ----------------------------------------------------------------

let dataDir;

before(async () => {
  dataDir = await tempDir('confide-data-');
  configFile = join(dataDir, 'confide.toml');
  await writeFile(configFile, '# empty: defaults plus command-line flags\n');
  await startServer(dataDir);
});

after(async () => {
  for (const ctx of contexts.values()) await ctx.close().catch(() => {});
  contexts.clear();
  await stopServer().catch(() => {});
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true }).catch(() => {});
});

test('two browsers exchange audio and video, and a leave is seen', { timeout: 120_000 }, async () => {
  const [aliceToken, bobToken] = [await mintToken(dataDir, 'alice'), await mintToken(dataDir, 'bob')];

  const alice = await openParticipant('alice', aliceToken);
  const bob = await openParticipant('bob', bobToken);

  for (const [name, page] of [['alice', alice], ['bob', bob]]) {
    await waitFor(`${name} to receive audio and video`, 30_000, async () => {
      const s = await mediaStats(page);
      return { ok: mediaFlowing(s), detail: s };
    });
  }

  // Both see each other by identity.
  const aliceSees = await alice.evaluate(() => window.confideCall.participants.map((p) => p.identity));
  assert.deepEqual(aliceSees, ['bob']);

  // Bob closes his browser: alice must see him go.
  await contexts.get('bob').close();
  contexts.delete('bob');
  await waitFor('alice to see bob leave', 20_000, async () => {
    const participants = await alice.evaluate(() => window.confideCall.participants);
    return { ok: !participants.some((p) => p.identity === 'bob'), detail: participants };
  });
  assert.equal(await alice.evaluate(() => window.confideCall.state), 'joined');
});
