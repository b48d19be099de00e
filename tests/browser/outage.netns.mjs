// A patient's network drops in the middle of a session: the clinic's video
// page on both sides, the patient's Chromium inside a network namespace
// (netns.mjs) whose every packet is dropped for 5, 20 or 45 s, then let
// through again. Nothing resets a connection: the websocket and the media
// just stop hearing anything, as when Wi-Fi goes or a phone loses its cell.
//
// Within the server's reconnect window (30 s) the patient stays the same
// participant: its websocket is resumed and ICE restarted, and the
// psychologist sees "reconnecting", never "left". Past the window the
// patient's page joins again by itself. Either way the call goes on with no
// one pressing anything, and both decode video again (getStats). How long
// after the network came back media flowed again is printed (and recorded
// in docs/benchmarks.md), with a generous limit asserted only to catch a
// call that does not come back on its own.
//
// Then a lossy network (12 % each way): the network quality level
// (twilio-video's API, the video page's signal bars) drops on both pages
// and recovers. And a lossy, slow one (5 % loss, 75 ± 25 ms each way, made
// with netns.mjs's impair()) for a minute after a clean minute: NACKs are
// answered on RTX both ways, and what each side decoded (frames per second,
// freezes, concealed audio) is printed for docs/benchmarks.md.
//
// Run on its own, not beside the other browser tests (namespaces make every
// Chromium on the machine see a network change):
//
//   cargo build --bin confide && node --test tests/browser/outage.netns.mjs

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './harness.mjs';
import { look, measure, setUpAcross } from './across.mjs';

const cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** The reconnect window the server is started with (its default). */
const WINDOW_MS = 30_000;

/** Records the room's participant events on the page (the psychologist's
 *  room never changes in these tests: her network is fine). */
async function recordParticipants(page) {
  await page.evaluate(() => {
    window.participantEvents = [];
    const room = window.confideVideo.room;
    for (const event of ['participantConnected', 'participantDisconnected', 'participantReconnecting', 'participantReconnected']) {
      room.on(event, (p) => window.participantEvents.push({ event, sid: p.sid, at: Date.now() }));
    }
  });
}

/** Records the page's own room going reconnecting (and why) and back. */
async function recordRoom(page) {
  await page.evaluate(() => {
    window.roomEvents = [];
    const room = window.confideVideo.room;
    room.on('reconnecting', (error) => window.roomEvents.push({ event: 'reconnecting', why: String(error && error.message), at: Date.now() }));
    room.on('reconnected', () => window.roomEvents.push({ event: 'reconnected', at: Date.now() }));
    const pc = room._pc;
    pc.addEventListener('iceconnectionstatechange', () => window.roomEvents.push({ event: `ice ${pc.iceConnectionState}`, at: Date.now() }));
  });
}

/** @returns {string} the page's room events, in seconds from `since` */
async function roomEvents(page, since) {
  const events = await page.evaluate(() => window.roomEvents);
  return events.map((e) => `${e.event}${e.why ? ` (${e.why})` : ''} at ${((e.at - since) / 1000).toFixed(1)} s`).join(', ') || 'nothing';
}

/** STUN responses the page's peer connection has had, on every candidate pair. */
function stunResponses(page) {
  return page.evaluate(async () => {
    const pc = window.confideVideo.room && window.confideVideo.room._pc;
    let responses = 0;
    if (pc) (await pc.getStats()).forEach((s) => s.type === 'candidate-pair' && (responses += s.responsesReceived || 0));
    return responses;
  });
}

/** Cuts the patient's network for `outageMs`, then restores it; returns
 *  what each side went through. */
async function outage(h, network, { doctor, patient }, outageMs) {
  const before = { doctor: await look(doctor), patient: await look(patient) };
  const seen = { doctor: new Set(), patient: new Set() };
  const cutAt = Date.now();
  await network.cut();
  cleanups.push(() => network.restore());
  // The outage itself lasts a set time: that is the condition under test,
  // not a wait for something to happen. Both pages are watched meanwhile.
  while (Date.now() - cutAt < outageMs) {
    for (const [who, page] of [['doctor', doctor], ['patient', patient]]) seen[who].add((await look(page)).state);
    await sleep(250);
  }
  await network.restore();
  cleanups.pop();
  const restoredAt = Date.now();
  const responsesBefore = await stunResponses(patient);
  // Media is back when both decode new frames (a new peer connection
  // after a rejoin counts from zero).
  const resumedAt = {};
  await h.waitFor('both sides to decode video again', 60_000, async () => {
    const now = { doctor: await look(doctor), patient: await look(patient) };
    for (const who of ['doctor', 'patient']) {
      const base = now[who].frames >= before[who].frames ? before[who].frames : 0;
      if (!resumedAt[who] && now[who].frames > base + 5 && now[who].state === 'in-call') resumedAt[who] = Date.now();
    }
    return { ok: resumedAt.doctor && resumedAt.patient, detail: now };
  });
  // Chromium counts the connectivity checks it sent into the outage as
  // failures as they time out, and a 5 s outage is about when those make
  // it call the connection disconnected: that can happen just after the
  // network is back, with media already flowing, and the room then goes
  // reconnecting and back. A check answered after the restore clears that
  // count, so from then on the rooms' state is settled.
  await h.waitFor("a connectivity check answered after the network came back", 30_000, async () => {
    const now = await stunResponses(patient);
    return { ok: now > (now >= responsesBefore ? responsesBefore : 0), detail: { before: responsesBefore, now } };
  });
  const answeredAt = Date.now();
  // Media can flow again on the old path a moment before the SDK has
  // finished its own reconnection (ICE back to connected, the websocket
  // resumed): the rooms say "connected" once it has.
  await h.waitFor('both rooms to say connected again', 30_000, async () => {
    const now = { doctor: await look(doctor), patient: await look(patient) };
    return { ok: now.doctor.room === 'connected' && now.patient.room === 'connected', detail: now };
  });
  const connectedAfter = Date.now() - restoredAt;
  const events = await doctor.evaluate(() => window.participantEvents);
  const after = { doctor: await look(doctor), patient: await look(patient) };
  const flowedAfter = Math.max(resumedAt.doctor, resumedAt.patient) - restoredAt;
  const ownRooms = `patient's room: ${await roomEvents(patient, cutAt)}; doctor's room: ${await roomEvents(doctor, cutAt)}`;
  console.log(
    `# ${outageMs / 1000} s outage: video decoded again on both sides ${flowedAfter} ms after the network came back ` +
      `(doctor ${resumedAt.doctor - restoredAt} ms, patient ${resumedAt.patient - restoredAt} ms), both rooms connected after ${connectedAfter} ms; ` +
      `doctor saw ${events.map((e) => `${e.event} at ${((e.at - cutAt) / 1000).toFixed(1)} s`).join(', ') || 'nothing'}; ` +
      `page states: doctor ${[...seen.doctor]}, patient ${[...seen.patient]}; ${ownRooms} (network back at ${((restoredAt - cutAt) / 1000).toFixed(1)} s, a check answered by ${((answeredAt - cutAt) / 1000).toFixed(1)} s)`,
  );
  return { before, after, events, seen, cutAt, flowedAfter, ownRooms };
}

async function setUp() {
  const across = await setUpAcross(cleanups);
  await recordParticipants(across.call.doctor);
  for (const page of [across.call.doctor, across.call.patient]) await recordRoom(page);
  return across;
}

/** Within the window: the same participant goes on, and the psychologist
 *  is told the patient is reconnecting, never that the patient left. */
function assertResumed(result, { toldReconnecting }) {
  const { before, after, events, seen, flowedAfter, ownRooms } = result;
  assert.equal(after.patient.sid, before.patient.sid, 'the patient is still the same participant');
  assert.equal(after.patient.room, 'connected', ownRooms);
  assert.deepEqual(events.filter((e) => e.event === 'participantDisconnected' || e.event === 'participantConnected'), [], 'the patient never left');
  if (toldReconnecting) {
    assert.ok(events.some((e) => e.event === 'participantReconnecting' && e.sid === before.patient.sid), JSON.stringify(events));
    assert.ok(events.some((e) => e.event === 'participantReconnected' && e.sid === before.patient.sid), JSON.stringify(events));
    assert.ok(seen.doctor.has('reconnecting') && seen.patient.has('reconnecting'), `both were shown "reconnecting": ${[...seen.doctor]} / ${[...seen.patient]}`);
  }
  assert.ok(flowedAfter < 15_000, `media came back on its own (${flowedAfter} ms after the network)`);
}

test('a 5 s outage: the call goes on, the same participant', { timeout: 240_000 }, async () => {
  const { h, network, call } = await setUp();
  assertResumed(await outage(h, network, call, 5_000), { toldReconnecting: false });
});

test('a 20 s outage: both are shown "reconnecting", the websocket is resumed and ICE restarted on the same participant', { timeout: 240_000 }, async () => {
  const { h, network, call } = await setUp();
  const result = await outage(h, network, call, 20_000);
  assertResumed(result, { toldReconnecting: true });
  const { doctor } = call;
  assert.match((await look(doctor)).text, /In a call with/);
});

test('a 45 s outage: past the window the patient is let go, and the page joins again by itself', { timeout: 240_000 }, async () => {
  const { h, network, call } = await setUp();
  const result = await outage(h, network, call, 45_000);
  const { before, after, events, cutAt, seen } = result;
  const left = events.find((e) => e.event === 'participantDisconnected');
  assert.ok(left, `the old participant was let go: ${JSON.stringify(events)}`);
  assert.ok(left.at - cutAt >= WINDOW_MS, `not inside the window (${left.at - cutAt} ms after the cut)`);
  assert.ok(events.some((e) => e.event === 'participantReconnecting' && e.at < left.at), 'reconnecting first');
  assert.ok(events.some((e) => e.event === 'participantConnected' && e.at > left.at), 'the patient joined again');
  assert.notEqual(after.patient.sid, before.patient.sid, 'as a new participant');
  assert.ok(seen.patient.has('reconnecting') && seen.doctor.has('reconnecting'), `${[...seen.doctor]} / ${[...seen.patient]}`);
  assert.ok(result.flowedAfter < 15_000, `media came back on its own (${result.flowedAfter} ms after the network)`);
});

test('a lossy network: the patient\'s network quality drops on both pages, and comes back', { timeout: 240_000 }, async () => {
  const { h, network, call } = await setUp();
  const { doctor, patient } = call;
  await h.waitFor('good levels on a clean network', 60_000, async () => {
    const [d, p] = [await look(doctor), await look(patient)];
    return { ok: p.level >= 4 && d.remoteLevel >= 4 && p.bars.local === p.level && d.bars.remote === d.remoteLevel, detail: { doctor: d, patient: p } };
  });
  await network.impair({ loss: 12 });
  cleanups.push(() => network.clearImpairment());
  const low = await h.waitFor("the patient's level to drop", 60_000, async () => {
    const [d, p] = [await look(doctor), await look(patient)];
    return { ok: p.level !== null && p.level <= 3 && d.remoteLevel !== null && d.remoteLevel <= 3 && p.bars.local === p.level && d.bars.remote === d.remoteLevel, detail: { doctor: d, patient: p } };
  });
  const stats = await patient.evaluate(() => window.confideVideo.room.localParticipant.networkQualityStats);
  assert.equal(stats, null, 'verbosity 1: the level only');
  await network.clearImpairment();
  const back = await h.waitFor("the patient's level to recover", 60_000, async () => {
    const [d, p] = [await look(doctor), await look(patient)];
    return { ok: p.level >= 4 && d.remoteLevel >= 4, detail: { doctor: d, patient: p } };
  });
  console.log(
    `# network quality: 12 % loss each way → patient level ${low.detail.patient.level}, seen by the doctor as ${low.detail.doctor.remoteLevel} ` +
      `(doctor's own ${low.detail.doctor.level}); clean again → ${back.detail.patient.level} / ${back.detail.doctor.remoteLevel}`,
  );
});

test('loss and jitter: 5 % loss, 150 ms round trip and ±25 ms jitter on the patient\'s side for 60 s, against a clean minute', { timeout: 400_000 }, async () => {
  const { network, call } = await setUp();
  const { doctor, patient } = call;
  // What the SFU negotiated with the patient: an RTX repair flow for each
  // of its video senders, Opus with in-band FEC and DTX.
  const sdp = await patient.evaluate(() => window.confideVideo.room._pc.remoteDescription.sdp);
  assert.match(sdp, /a=rtpmap:\d+ rtx\/90000/, 'RTX offered');
  assert.match(sdp, /a=ssrc-group:FID \d+ \d+/, 'a repair SSRC per video sender');
  assert.match(sdp, /a=fmtp:111 .*useinbandfec=1/, 'Opus FEC');
  assert.match(sdp, /a=fmtp:111 .*usedtx=1/, 'Opus DTX');

  const clean = await measure({ doctor, patient }, 60_000);
  await network.impair({ loss: 5, delayMs: 75, jitterMs: 25 });
  cleanups.push(() => network.clearImpairment());
  const impaired = await measure({ doctor, patient }, 60_000);
  await network.clearImpairment();
  cleanups.pop();

  const row = (name, r) =>
    `# ${name}: ${r.fps.toFixed(1)} fps, ${r.freezeCount} freezes (${r.totalFreezesDuration.toFixed(2)} s), ` +
    `${(r.concealedAudio * 100).toFixed(2)} % audio concealed (audio lost ${r.audioLost}, ${r.audioPacketsPerSecond.toFixed(1)} audio packets/s), video lost ${r.videoLost}/${r.videoReceived + r.videoLost}, ` +
    `NACKs sent ${r.nacksSent}, RTX received ${r.rtxReceived}, PLIs sent ${r.plisSent}; as sender: NACKs ${r.nacksAnswered}, RTX ${r.rtxSent}, PLIs ${r.plisAnswered}`;
  for (const [name, r] of [['clean, patient', clean.patient], ['clean, doctor', clean.doctor], ['impaired, patient', impaired.patient], ['impaired, doctor', impaired.doctor]]) {
    console.log(row(name, r));
  }
  // Media went on throughout on both sides.
  for (const [who, r] of Object.entries(impaired)) assert.ok(r.framesDecoded > 100, `${who} kept decoding: ${JSON.stringify(r)}`);
  // The patient's losses on the way down were NACKed and repaired on the
  // RTX flow, from the SFU's cache (its NACKs never reach the doctor).
  assert.ok(impaired.patient.nacksSent > 0 && impaired.patient.rtxReceived > 0, JSON.stringify(impaired.patient));
  // Its losses on the way up were NACKed by the SFU, and it answered on RTX.
  assert.ok(impaired.patient.nacksAnswered > 0 && impaired.patient.rtxSent > 0, JSON.stringify(impaired.patient));
});
