// Patients on restrictive networks: a Chromium inside a network namespace
// (netns.mjs) whose rules drop what hospital, hotel and office networks
// drop, joining a call with a Chromium on the host. Both must decode each
// other's video (getStats), the path the patient's browser chose is the
// one the network leaves, and /metrics counts the media that took it. The
// time from connect() to the first decoded frame is printed for each path,
// for the note — never asserted.
//
// Needs root (namespaces), iptables and Debian's coturn; the test command
// installs them.
//
// Run on its own, not beside the other browser tests: adding and removing
// interfaces makes every Chromium on the machine see a network change.
//
//   cargo build --bin confide && node --test tests/browser/reachability.netns.mjs

import { test, afterEach } from 'node:test';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import https from 'node:https';
import assert from 'node:assert/strict';
import { Harness, freePort } from './harness.mjs';
import { IsolatedNetwork } from './netns.mjs';
import { Coturn } from './coturn.mjs';
import { openSdk, connect, waitForMedia } from './sdk-page.mjs';

const cleanups = [];
// Each test's servers, browsers, coturn and namespace go when it ends: a
// call left running would take CPU from the next test's.
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const METRICS_TOKEN = 'reachability-test-metrics-token';

/** The server's /metrics as { name: value } (with the token: the test is
 *  not on loopback). */
async function metrics(h) {
  const text = await new Promise((resolve, reject) => {
    const request = https.get(`${h.base}/metrics`, { ca: h.certificate, headers: { authorization: `Bearer ${METRICS_TOKEN}` } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`/metrics: ${response.statusCode} ${body}`))));
    });
    request.on('error', reject);
  });
  const values = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^(confide_\w+(?:\{[^}]*\})?) (\S+)$/);
    if (m) values[m[1]] = Number(m[2]);
  }
  return values;
}

/** A server on the namespace's host address with `config` (TOML). */
async function serverFor(network, config, { httpPort = null } = {}) {
  const h = new Harness();
  cleanups.push(() => h.teardown());
  await h.start(`[http]\nmetrics_token = "${METRICS_TOKEN}"\n${config}`, { host: network.hostIp, https: true, httpPort });
  return h;
}

async function isolated(block, home) {
  const dir = await mkdtemp(join(tmpdir(), 'confide-reach-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const network = await IsolatedNetwork.create(dir, { block, home });
  cleanups.push(() => network.remove());
  return { dir, network };
}

/** The patient's Chromium (HOME=`home`) trusts the server's test
 *  certificate, as a browser trusts a TURN server's public one; returns
 *  the certificate's path. */
async function trustInNss(home, h) {
  const cert = join(h.dataDir, 'cert.pem');
  const nssdb = join(home, '.pki', 'nssdb');
  await mkdir(nssdb, { recursive: true });
  const run = promisify(execFile);
  await run('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
  await run('certutil', ['-A', '-d', `sql:${nssdb}`, '-n', 'confide-test', '-t', 'CP,,', '-i', cert]);
  return cert;
}

function report(what, seen) {
  console.log(
    `# ${what}: patient decoded ${seen.patient.frames} frames, first ${seen.patient.firstFrameMs} ms after connect(); ` +
      `clinic decoded ${seen.clinic.frames}, first after ${seen.clinic.firstFrameMs} ms; patient's path ${JSON.stringify(seen.patient.path)}`,
  );
}

/** Both join; both must decode video; returns what each side saw. */
async function callAcross(h, network, room) {
  const clinic = await openSdk(h, `clinic-${room}`);
  const patient = await openSdk(h, `patient-${room}`, network.chromium);
  await connect(clinic, await h.mintToken(room, 'psychologist'));
  await connect(patient, await h.mintToken(room, 'patient'));
  const seen = {};
  for (const [who, page] of [['patient', patient], ['clinic', clinic]]) {
    seen[who] = await waitForMedia(h, page, `${who} (${room})`, { frames: 30 });
  }
  return seen;
}

test('a patient whose network drops all UDP joins by ICE over TCP', { timeout: 180_000 }, async () => {
  const { network } = await isolated('udp');
  const tcpPort = await freePort('tcp', network.hostIp);
  const h = await serverFor(network, `[media]\ntcp_listen = "${network.hostIp}:${tcpPort}"\n`);
  assert.equal(await network.udpGetsOut(network.hostIp, h.mediaPort), false, 'the namespace must drop UDP');

  const seen = await callAcross(h, network, 'ice-tcp');
  // Chrome reports its end of an ICE-TCP connection as peer-reflexive.
  assert.equal(seen.patient.path && seen.patient.path.protocol, 'tcp', `the patient's media went by TCP: ${JSON.stringify(seen.patient)}`);
  assert.notEqual(seen.patient.path.local, 'relay');
  const counted = await metrics(h);
  assert.ok(counted.confide_sfu_tcp_datagrams_in_total > 0 && counted.confide_sfu_tcp_datagrams_out_total > 0, JSON.stringify(counted));
  assert.equal(counted.confide_sfu_participants_tcp, 1, JSON.stringify(counted));
  // The clinic's browser may keep an unused TCP connection too, until the
  // SFU closes it for silence.
  assert.ok(counted.confide_sfu_tcp_connections >= 1, JSON.stringify(counted));
  report('ICE over TCP (UDP blocked)', seen);
});

test('a patient whose network drops all UDP joins through coturn (TURN over TCP)', { timeout: 180_000 }, async () => {
  const { dir, network } = await isolated('udp');
  const turnPort = await freePort('tcp', network.hostIp);
  const secret = 'coturn-and-confide-share-this-secret';
  const coturn = await Coturn.start(dir, { ip: network.hostIp, port: turnPort, secret });
  cleanups.push(() => coturn.stop());
  const h = await serverFor(network, `[turn]\nurls = ["turn:${network.hostIp}:${turnPort}?transport=tcp"]\nsecret = "${secret}"\n`);
  assert.equal(await network.udpGetsOut(network.hostIp, h.mediaPort), false, 'the namespace must drop UDP');

  const seen = await callAcross(h, network, 'coturn-relay');
  const path = seen.patient.path;
  assert.equal(path && path.local, 'relay', `the patient's media must be relayed: ${JSON.stringify(seen.patient)}`);
  assert.equal(path.relayProtocol, 'tcp', 'reached coturn over TCP');
  const counted = await metrics(h);
  assert.ok(counted.confide_sfu_relayed_datagrams_in_total > 0 && counted.confide_sfu_relayed_datagrams_out_total > 0, JSON.stringify(counted));
  assert.equal(counted.confide_sfu_participants_relayed, 1, JSON.stringify(counted));
  report('through coturn, TURN over TCP (UDP blocked)', seen);
});

test('a patient whose network lets only TCP to port 443 out joins through coturn (TURN over TLS on 443)', { timeout: 180_000 }, async () => {
  // The web app's own port stands for the clinic's HTTPS site (on 443 at
  // its own address in production); nothing else but TCP 443 leaves. The
  // patient's Chromium trusts the test certificate (its own NSS database),
  // as a browser trusts a TURN server's public certificate.
  const home = await mkdtemp(join(tmpdir(), 'confide-home-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  const { dir, network } = await isolated('tcp-only:443', home);
  const turnPort = await freePort('tcp', network.hostIp);
  const secret = 'coturn-and-confide-share-this-secret';
  const h = await serverFor(network, `[turn]\nurls = ["turns:${network.hostIp}:443?transport=tcp"]\nsecret = "${secret}"\n`);
  const cert = await trustInNss(home, h);
  const tls = { port: 443, cert, key: join(h.dataDir, 'key.pem') };
  const coturn = await Coturn.start(dir, { ip: network.hostIp, port: turnPort, secret, tls });
  cleanups.push(() => coturn.stop());
  await network.allowTcpPort(h.httpPort);
  assert.equal(await network.udpGetsOut(network.hostIp, h.mediaPort), false, 'UDP is dropped');
  assert.equal(await network.tcpGetsOut(network.hostIp, turnPort), false, 'TCP to other ports is dropped');

  const seen = await callAcross(h, network, 'turns-443');
  const path = seen.patient.path;
  assert.equal(path && path.local, 'relay', JSON.stringify(seen.patient));
  assert.equal(path.relayProtocol, 'tls', 'reached coturn over TLS');
  assert.equal((await metrics(h)).confide_sfu_participants_relayed, 1);
  report('through coturn, TURN over TLS on 443 (only TCP 443 allowed)', seen);
});

test("a patient whose network drops all UDP joins through Confide's own TURN server (TURN over TCP)", { timeout: 180_000 }, async () => {
  const { network } = await isolated('udp');
  const turnPort = await freePort('tcp', network.hostIp);
  const h = await serverFor(network, `[turn]\nhost = "${network.hostIp}"\nlisten = "${network.hostIp}:${turnPort}"\n`);
  assert.equal(await network.udpGetsOut(network.hostIp, h.mediaPort), false, 'the namespace must drop UDP');

  const seen = await callAcross(h, network, 'embedded-turn-tcp');
  const path = seen.patient.path;
  assert.equal(path && path.local, 'relay', `the patient's media must be relayed: ${JSON.stringify(seen.patient)}`);
  assert.equal(path.relayProtocol, 'tcp', "reached Confide's TURN server over TCP");
  const counted = await metrics(h);
  assert.ok(counted['confide_turn_allocations{transport="tcp"}'] >= 1, JSON.stringify(counted));
  assert.ok(counted.confide_turn_relayed_datagrams_to_sfu_total > 0 && counted.confide_turn_relayed_datagrams_to_clients_total > 0, JSON.stringify(counted));
  assert.equal(counted.confide_sfu_participants_relayed, 1, JSON.stringify(counted));
  report("through Confide's TURN server, TURN over TCP (UDP blocked)", seen);
});

test("a patient whose network lets only TCP to port 443 out joins through Confide's own TURN server (TURN over TLS on 443)", { timeout: 180_000 }, async () => {
  const home = await mkdtemp(join(tmpdir(), 'confide-home-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  const { network } = await isolated('tcp-only:443', home);
  const turnPort = await freePort('tcp', network.hostIp);
  // UDP and plain TCP TURN are offered too (and blocked by this network).
  const h = await serverFor(network, `[turn]\nhost = "${network.hostIp}"\nlisten = "${network.hostIp}:${turnPort}"\ntls_listen = "${network.hostIp}:443"\n`);
  await trustInNss(home, h);
  await network.allowTcpPort(h.httpPort);
  assert.equal(await network.udpGetsOut(network.hostIp, h.mediaPort), false, 'UDP is dropped');
  assert.equal(await network.tcpGetsOut(network.hostIp, turnPort), false, 'TCP to other ports is dropped');

  const seen = await callAcross(h, network, 'embedded-turns-443');
  const path = seen.patient.path;
  assert.equal(path && path.local, 'relay', JSON.stringify(seen.patient));
  assert.equal(path.relayProtocol, 'tls', "reached Confide's TURN server over TLS");
  const counted = await metrics(h);
  assert.ok(counted['confide_turn_allocations{transport="tls"}'] >= 1, JSON.stringify(counted));
  assert.ok(counted.confide_turn_relayed_datagrams_to_sfu_total > 0, JSON.stringify(counted));
  assert.equal(counted.confide_sfu_participants_relayed, 1, JSON.stringify(counted));
  report("through Confide's TURN server, TURN over TLS on 443 (only TCP 443 allowed)", seen);
});

test("the same, with Confide's HTTPS and its TURN over TLS sharing port 443 (one address)", { timeout: 180_000 }, async () => {
  const home = await mkdtemp(join(tmpdir(), 'confide-home-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  const { network } = await isolated('tcp-only:443', home);
  const turnPort = await freePort('tcp', network.hostIp);
  const h = await serverFor(
    network,
    `[turn]\nhost = "${network.hostIp}"\nlisten = "${network.hostIp}:${turnPort}"\ntls_listen = "${network.hostIp}:443"\n`,
    { httpPort: 443 },
  );
  await trustInNss(home, h);
  assert.equal(await network.udpGetsOut(network.hostIp, h.mediaPort), false, 'UDP is dropped');
  assert.equal(await network.tcpGetsOut(network.hostIp, turnPort), false, 'TCP to other ports is dropped');

  const seen = await callAcross(h, network, 'shared-443');
  const path = seen.patient.path;
  assert.equal(path && path.local, 'relay', JSON.stringify(seen.patient));
  assert.equal(path.relayProtocol, 'tls', 'TURN over TLS on the HTTPS port');
  const counted = await metrics(h);
  assert.ok(counted['confide_turn_allocations{transport="tls"}'] >= 1, JSON.stringify(counted));
  assert.equal(counted.confide_sfu_participants_relayed, 1, JSON.stringify(counted));
  report("through Confide's TURN server, TURN over TLS sharing 443 with HTTPS (only TCP 443 allowed)", seen);
});
