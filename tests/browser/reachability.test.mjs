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
//   cargo build --bin confide && node --test tests/browser/reachability.test.mjs

import { test, after } from 'node:test';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import assert from 'node:assert/strict';
import { Harness, freePort } from './harness.mjs';
import { IsolatedNetwork } from './netns.mjs';
import { Coturn } from './coturn.mjs';
import { openSdk, connect, waitForMedia } from './sdk-page.mjs';

const cleanups = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

const METRICS_TOKEN = 'reachability-test-metrics-token';

/** The server's /metrics as { name: value } (with the token: the test is
 *  not on loopback). */
async function metrics(h) {
  const response = await fetch(`${h.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(response.status, 200);
  const values = {};
  for (const line of (await response.text()).split('\n')) {
    const m = line.match(/^(confide_\w+) (\S+)$/);
    if (m) values[m[1]] = Number(m[2]);
  }
  return values;
}

/** A server on the namespace's host address with `config` (TOML). */
async function serverFor(network, config) {
  const h = new Harness();
  cleanups.push(() => h.teardown());
  await h.start(`[http]\nmetrics_token = "${METRICS_TOKEN}"\n${config}`, { host: network.hostIp });
  return h;
}

async function isolated(block) {
  const dir = await new Harness().tempDir('confide-reach-');
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const network = await IsolatedNetwork.create(dir, { block });
  cleanups.push(() => network.remove());
  return { dir, network };
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
    seen[who] = await waitForMedia(h, page, `${who} (${room})`);
  }
  return seen;
}

test('a patient whose network drops all UDP joins by ICE over TCP', { timeout: 180_000 }, async () => {
  const { network } = await isolated('udp');
  const tcpPort = await freePort('tcp', network.hostIp);
  const h = await serverFor(network, `[media]\ntcp_listen = "${network.hostIp}:${tcpPort}"\n`);
  assert.equal(await network.udpGetsOut(network.hostIp, h.mediaPort), false, 'the namespace must drop UDP');

  const seen = await callAcross(h, network, 'ice-tcp');
  assert.equal(seen.patient.path && seen.patient.path.protocol, 'tcp', `the patient's media went by TCP: ${JSON.stringify(seen.patient)}`);
  assert.equal(seen.patient.path.local, 'host');
  const counted = await metrics(h);
  assert.ok(counted.confide_sfu_tcp_datagrams_in_total > 0 && counted.confide_sfu_tcp_datagrams_out_total > 0, JSON.stringify(counted));
  assert.equal(counted.confide_sfu_participants_tcp, 1, JSON.stringify(counted));
  assert.equal(counted.confide_sfu_tcp_connections, 1, JSON.stringify(counted));
  report('ICE over TCP (UDP blocked)', seen);
});

test('a patient whose network lets only TCP to port 443 out joins by ICE over TCP on 443', { timeout: 180_000 }, async () => {
  // The web app's own port stands for the clinic's HTTPS site (on 443 at
  // its own address in production); media may use nothing but 443.
  const { network } = await isolated('tcp-only:443');
  const h = await serverFor(network, `[media]\ntcp_listen = "${network.hostIp}:443"\n`);
  await network.allowTcpPort(h.httpPort);
  assert.equal(await network.udpGetsOut(network.hostIp, h.mediaPort), false, 'UDP is dropped');
  const other = await freePort('tcp', network.hostIp);
  const listener = net.createServer().listen(other, network.hostIp);
  await new Promise((resolve) => listener.once('listening', resolve));
  const otherOpen = await network.tcpGetsOut(network.hostIp, other);
  listener.close();
  assert.equal(otherOpen, false, 'TCP to other ports is dropped');

  const seen = await callAcross(h, network, 'tcp-443');
  assert.equal(seen.patient.path && seen.patient.path.protocol, 'tcp', JSON.stringify(seen.patient));
  assert.match(seen.patient.path.remote, /:443$/, 'to port 443');
  assert.equal((await metrics(h)).confide_sfu_participants_tcp, 1);
  report('ICE over TCP on 443 (only TCP 443 allowed)', seen);
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
  assert.ok(coturn.sessions().length > 0, 'coturn logged the allocation:\n' + coturn.log.join(''));
  const counted = await metrics(h);
  assert.ok(counted.confide_sfu_relayed_datagrams_in_total > 0 && counted.confide_sfu_relayed_datagrams_out_total > 0, JSON.stringify(counted));
  assert.equal(counted.confide_sfu_participants_relayed, 1, JSON.stringify(counted));
  report('through coturn, TURN over TCP (UDP blocked)', seen);
});
