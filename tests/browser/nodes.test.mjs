// Three Confide nodes on one PostgreSQL database and one Redis, behind a
// load balancer (a TCP proxy here, round robin, skipping nodes that refuse
// connections, as an HTTP load balancer's health check would). Two calls
// are made through the balancer; their rooms are placed on two different
// nodes, and each participant's websocket lands on whichever node the
// balancer picks (relayed to the room's node when that is another one).
// Then the node holding the first call is killed with SIGKILL: its
// participants' SDKs reconnect by themselves (to the room's new node) and
// media flows again; the other call goes on. Then the other call's node is
// drained for an upgrade (a new room goes elsewhere) and stopped: its
// participants move to the last node. Status callbacks: every
// participant's `participant-connected` arrives once, and each moved
// participant's `participant-disconnected` once (for the killed node's,
// from a node that saw it die).
//
//   cargo build --bin confide && node --test tests/browser/nodes.test.mjs

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import http from 'node:http';
import net from 'node:net';
import { Harness, freePort } from './harness.mjs';
import { openSdk, connect, roomEvents, mediaState, waitForMedia } from './sdk-page.mjs';

const execFileP = promisify(execFile);
const POSTGRES = process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = { host: '127.0.0.1', port: 6379 };
const ACCOUNT = 'AC' + '0123456789abcdef'.repeat(2);
const KEY = 'SK' + 'fedcba9876543210'.repeat(2);
const SECRET = 'a-secret-every-node-shares';
const SESSION_KEY = 'a-session-key-every-node-shares-0123456789';
const suffix = Math.floor(Math.random() * 2 ** 32).toString(16);
const database = `confide_nodes_${suffix}`;
const cluster = `confide-test-${suffix}`;

const nodes = [new Harness(), new Harness(), new Harness()];
// A failure shows every node's log.
const ownDiagnostics = Harness.prototype.diagnostics;
nodes[0].diagnostics = () => nodes.map((h, i) => `\n==== node ${i} (${h.base}) ====` + ownDiagnostics.call(h)).join('');
const started = { database: false, balancer: null, hooks: null };

after(async () => {
  for (const h of nodes) await h.teardown();
  started.balancer?.close();
  started.hooks?.close();
  await redis(['EVAL', "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", '0', `${cluster}:*`]).catch(() => {});
  if (started.database) await psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
});

function psql(sql) {
  return execFileP('psql', [POSTGRES, '-v', 'ON_ERROR_STOP=1', '-qc', sql]);
}

async function redis(args) {
  const { stdout } = await execFileP('redis-cli', ['-h', REDIS.host, '-p', String(REDIS.port), '--raw', ...args]);
  return stdout.trim();
}

/** A TCP load balancer on 127.0.0.1: each connection goes to the next
 *  backend in turn, or the one after when that one refuses. */
async function balancer(backends) {
  let next = 0;
  const server = net.createServer((client) => {
    client.pause();
    const attempt = (left) => {
      const port = backends[next++ % backends.length];
      const upstream = net.connect(port, '127.0.0.1');
      upstream.once('connect', () => {
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      upstream.once('error', () => (left > 1 ? attempt(left - 1) : client.destroy()));
    };
    attempt(backends.length);
  });
  const port = await freePort('tcp');
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port, close: () => server.close() };
}

/** Status callbacks, as they arrive. */
async function hookReceiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push(Object.fromEntries(new URLSearchParams(body)));
      res.end('ok');
    });
  });
  const port = await freePort('tcp');
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { received, url: `http://127.0.0.1:${port}/hook`, close: () => server.close() };
}

async function rest(base, path, { method = 'GET', form } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: 'Basic ' + Buffer.from(`${KEY}:${SECRET}`).toString('base64'), ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  return { status: response.status, body: await response.json() };
}

test('three nodes: calls spread over them, and a node killed mid-call is survived', { timeout: 300_000 }, async () => {
  const { stdout: pg } = await execFileP('pg_isready', ['-d', POSTGRES]).catch((err) => ({ stdout: String(err) }));
  assert.match(pg, /accepting connections/, `PostgreSQL is needed at ${POSTGRES}`);
  assert.equal(await redis(['PING']).catch((err) => String(err)), 'PONG', `Redis is needed at ${REDIS.host}:${REDIS.port}`);
  await psql(`CREATE DATABASE ${database}`);
  started.database = true;
  const databaseUrl = `${POSTGRES.replace(/\/[^/]*$/, '')}/${database}`;
  const hooks = (started.hooks = await hookReceiver());

  const ports = [];
  for (const h of nodes) {
    const httpPort = await freePort('tcp');
    ports.push(httpPort);
    await h.start(
      `database_url = "${databaseUrl}"\n[tokens]\naccount_sid = "${ACCOUNT}"\napi_key_sid = "${KEY}"\napi_key_secret = "${SECRET}"\n` +
        `[cluster]\nredis_url = "redis://${REDIS.host}:${REDIS.port}"\nnode_url = "http://127.0.0.1:${httpPort}"\nname = "${cluster}"\nnode_ttl_secs = 3\n`,
      // Every node signs users in with the same key.
      { httpPort, files: { 'session.key': SESSION_KEY } },
    );
  }
  const lb = (started.balancer = await balancer(ports));
  const base = `http://127.0.0.1:${lb.port}`;
  // The pages load from the balancer, as a clinic's would.
  const front = { browser: (name, o) => nodes[0].browser(name, o), base, waitFor: (...a) => nodes[0].waitFor(...a) };

  const rooms = ['consult-a', 'consult-b'];
  for (const name of rooms) {
    const { status, body } = await rest(base, '/v1/Rooms', { method: 'POST', form: { UniqueName: name, StatusCallback: hooks.url } });
    assert.equal(status, 201, JSON.stringify(body));
  }
  const ownerOf = async (room) => {
    const id = await redis(['GET', `${cluster}:room:${room}`]);
    const entry = JSON.parse(await redis(['GET', `${cluster}:node:${id}`]) || 'null');
    return entry && nodes[ports.indexOf(Number(new URL(entry.url).port))];
  };
  const [ownerA, ownerB] = [await ownerOf(rooms[0]), await ownerOf(rooms[1])];
  assert.ok(ownerA && ownerB, 'both rooms are placed on a live node');
  assert.notEqual(ownerA, ownerB, 'the second room goes to a less loaded node');

  const pages = {};
  for (const [room, who] of [[rooms[0], 'a1'], [rooms[0], 'a2'], [rooms[1], 'b1'], [rooms[1], 'b2']]) {
    pages[who] = await openSdk(front, who);
    await connect(pages[who], await nodes[0].mintToken(room, who));
  }
  for (const [who, page] of Object.entries(pages)) await waitForMedia(front, page, who);

  // Any node answers for any room.
  for (const h of nodes) {
    const { status, body } = await rest(h.base, `/v1/Rooms/${rooms[0]}/Participants?Status=connected`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.participants.map((p) => p.identity).sort(), ['a1', 'a2'], `node ${h.base} lists room A's participants`);
  }

  // Times are read on each page's own clock (its events carry them).
  // The nodes' own API answers only to the cluster's secret.
  for (const headers of [{}, { 'X-Confide-Relay': 'not-the-secret' }]) {
    const response = await fetch(`${ownerB.base}/cluster/v1/participants?room=${rooms[0]}`, { headers });
    assert.equal(response.status, 403, `without the cluster's secret: ${JSON.stringify(headers)}`);
    const ended = await fetch(`${ownerB.base}/cluster/v1/end?room=${rooms[1]}`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(ended.status, 403);
  }

  const frames = {};
  const pageNow = {};
  for (const [who, page] of Object.entries(pages)) {
    frames[who] = (await mediaState(page)).frames;
    pageNow[who] = await page.evaluate(() => performance.now());
  }
  ownerA.server.kill('SIGKILL');
  await ownerA.serverExited;

  for (const who of ['a1', 'a2']) {
    const { detail } = await front.waitFor(`${who} to be back in the call`, 90_000, async () => {
      const events = await roomEvents(pages[who]);
      return { ok: events.some((e) => e.event === 'reconnected' && e.at > pageNow[who]), detail: events };
    });
    assert.ok(!detail.some((e) => e.event === 'disconnected'), `${who} stayed in the room: ${JSON.stringify(detail)}`);
    const reconnected = detail.find((e) => e.event === 'reconnected' && e.at > pageNow[who]);
    await waitForMedia(front, pages[who], `${who} after the node died`, { frames: frames[who] });
    console.log(`# ${who}: back in the call ${Math.round(reconnected.at - pageNow[who])} ms after its node was killed`);
  }
  const movedTo = await ownerOf(rooms[0]);
  assert.ok(movedTo && movedTo !== ownerA, 'room A lives on a live node now');
  for (const who of ['b1', 'b2']) {
    const events = await roomEvents(pages[who]);
    assert.ok(!events.some((e) => e.event === 'disconnected'), `${who}'s call went on: ${JSON.stringify(events)}`);
    await waitForMedia(front, pages[who], `${who} after the other node died`, { frames: frames[who] });
  }

  // An upgrade of room B's node: drained (no new rooms there, its call
  // goes on), then stopped; its participants move to the last node.
  const drained = await fetch(`${ownerB.base}/ops/drain`, { method: 'POST' });
  assert.equal(drained.status, 200, await drained.text());
  const { status: createdC } = await rest(base, '/v1/Rooms', { method: 'POST', form: { UniqueName: 'consult-c', StatusCallback: hooks.url } });
  assert.equal(createdC, 201);
  assert.equal(await ownerOf('consult-c'), movedTo, 'a new room goes to the node that is not draining');
  for (const [who, page] of Object.entries(pages)) {
    frames[who] = (await mediaState(page)).frames;
    pageNow[who] = await page.evaluate(() => performance.now());
  }
  const stopped = ownerB.stopServer();
  for (const who of ['b1', 'b2']) {
    const { detail } = await front.waitFor(`${who} to be back in the call after the drain`, 90_000, async () => {
      const events = await roomEvents(pages[who]);
      return { ok: events.some((e) => e.event === 'reconnected' && e.at > pageNow[who]), detail: events };
    });
    assert.ok(!detail.some((e) => e.event === 'disconnected'), `${who} stayed in the room: ${JSON.stringify(detail)}`);
    const reconnected = detail.find((e) => e.event === 'reconnected' && e.at > pageNow[who]);
    await waitForMedia(front, pages[who], `${who} after its node stopped`, { frames: frames[who] });
    console.log(`# ${who}: back in the call ${Math.round(reconnected.at - pageNow[who])} ms after its node was told to stop`);
  }
  assert.deepEqual(await stopped, { code: 0, signal: null }, 'a clean stop' + nodes[0].diagnostics());
  // Sessions only relayed through the stopped node resumed elsewhere.
  for (const who of ['a1', 'a2']) {
    const events = await roomEvents(pages[who]);
    assert.ok(!events.some((e) => e.event === 'disconnected'), `${who} is still in its call: ${JSON.stringify(events)}`);
    await waitForMedia(front, pages[who], `${who} after the other node stopped`, { frames: frames[who] });
  }
  assert.equal(await ownerOf(rooms[1]), movedTo, 'room B lives on the last node now');

  // Callbacks: once each, none lost across the kill and the stop.
  const { detail: seen } = await front.waitFor('the departures to be called back', 90_000, async () => {
    const gone = hooks.received.filter((c) => c.StatusCallbackEvent === 'participant-disconnected');
    return { ok: gone.length >= 4, detail: hooks.received };
  });
  const bySid = new Map();
  for (const c of seen.filter((c) => c.ParticipantSid)) {
    const key = `${c.StatusCallbackEvent} ${c.ParticipantSid} ${c.TrackSid || ''}`;
    bySid.set(key, (bySid.get(key) || 0) + 1);
  }
  for (const [key, count] of bySid) assert.equal(count, 1, `${key} was called back ${count} times`);
  const connected = seen.filter((c) => c.StatusCallbackEvent === 'participant-connected');
  for (const room of rooms) {
    assert.equal(connected.filter((c) => c.RoomName === room).length, 4, `${room}: two joins, and two again on another node`);
    const joined = new Set(connected.filter((c) => c.RoomName === room).map((c) => c.ParticipantSid));
    const left = seen.filter((c) => c.StatusCallbackEvent === 'participant-disconnected' && c.RoomName === room);
    assert.equal(left.length, 2, `${room}: the two who moved left once each`);
    for (const c of left) assert.ok(joined.has(c.ParticipantSid), `${room}: a departure of someone who joined`);
  }
});
