// End-to-end encryption of a session (on by default): the patient and the
// psychologist meet on the clinic's video page; both decode each other's
// video and audio, both are shown the same safety code, and what the SFU
// holds in its packet cache (read through the operator's
// /ops/packet-cache/{room}, turned on for this test) is SFrame ciphertext:
// every packet that starts a video frame carries, after the VP8 payload
// descriptor and the clear VP8 header, an SFrame header with the sender's
// key id, and no run of the frames the psychologist's browser encoded
// (taken from its worker before encryption) appears in any cached packet.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.mjs';
import { decodeHeader } from '../../web/sdk/sframe.js';

const h = new Harness();

before(async () => {
  await h.start('[media]\ninspect_packet_cache = true\n');
});

after(async () => {
  await h.teardown();
});

/** What a video page receives (getStats) and what its worker counted. */
async function received(page) {
  return page.evaluate(async () => {
    const room = window.confideVideo && window.confideVideo.room;
    if (!room || !room._pc) return { stats: [], e2ee: null };
    const report = await room._pc.getStats();
    const stats = [];
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') stats.push({ kind: s.kind, framesDecoded: s.framesDecoded, packetsReceived: s.packetsReceived });
    });
    return { stats, e2ee: room.e2ee ? await room.e2ee.stats() : null };
  });
}

async function waitDecoding(page, name) {
  await h.waitFor(`${name} to decode the other's video and audio`, 45_000, async () => {
    const r = await received(page);
    const video = r.stats.find((s) => s.kind === 'video' && s.framesDecoded > 30);
    const audio = r.stats.find((s) => s.kind === 'audio' && s.packetsReceived > 50);
    return { ok: !!(video && audio && r.e2ee && r.e2ee.decrypted > 0), detail: r };
  });
}

/** The length of a VP8 payload descriptor (RFC 7741 §4.2). @param {Buffer} p */
function vp8DescriptorLength(p) {
  let n = 1;
  if (p[0] & 0x80) {
    const x = p[1];
    n = 2;
    if (x & 0x80) n += p[n] & 0x80 ? 2 : 1; // I: PictureID, 7 or 15 bits
    if (x & 0x40) n += 1; // L: TL0PICIDX
    if (x & 0x30) n += 1; // T/K: TID, Y, KEYIDX
  }
  return n;
}

test('the SFU forwards and caches only ciphertext while both browsers decode', { timeout: 240_000 }, async () => {
  const admin = await h.login(h.accounts.admin.email, h.accounts.admin.password);
  const [demo] = (await h.call('/api/appointments/', { token: admin })).body;
  const link = `/video-session/${demo.video_room_id}`;

  const patient = await h.browser('patient');
  await h.signIn(patient, 'patient', link);
  await patient.waitForURL(`${h.base}${link}`);
  await h.waitVideoState(patient, 'patient', 'lobby', 30_000);
  const doctor = await h.browser('doctor');
  await h.signIn(doctor, 'psychologist', link);
  await doctor.waitForURL(`${h.base}${link}`);
  await h.waitFor('the doctor to see the patient waiting', 30_000, async () => ({ ok: await doctor.isVisible('#lobby-admit'), detail: null }));
  await doctor.click('#lobby-admit');
  await h.waitVideoState(doctor, 'doctor', 'in-call', 30_000);
  await h.waitVideoState(patient, 'patient', 'in-call', 30_000);
  await waitDecoding(doctor, 'doctor');
  await waitDecoding(patient, 'patient');

  // The server accepted the dependency descriptor on the psychologist's
  // video, which is how it finds keyframes without reading the payload.
  const answer = await doctor.evaluate(() => window.confideVideo.room._pc.currentRemoteDescription.sdp);
  const videoSection = answer.split('\r\nm=').find((m) => m.startsWith('video') && /a=recvonly/.test(m));
  assert.ok(videoSection && videoSection.includes('dependency-descriptor-rtp-header-extension'), answer);

  // Both are shown the same 12-digit safety code.
  const codes = [];
  for (const page of [doctor, patient]) {
    await h.waitFor('the safety code on the page', 10_000, async () => {
      const shown = await page.textContent('#e2ee-code');
      return { ok: /^\d{4} \d{4} \d{4}$/.test(shown || '') && (await page.isVisible('#e2ee')), detail: shown };
    });
    codes.push(await page.textContent('#e2ee-code'));
  }
  assert.equal(codes[0], codes[1], 'the same safety code on both sides');
  await doctor.screenshot({ path: `${h.artifacts}/e2ee-doctor.png` });

  // The psychologist's encoded frames, as they were before encryption, and
  // right after them what the SFU holds.
  const frames = await doctor.evaluate(async () => {
    const sample = await window.confideVideo.room.e2ee.plaintextSample(8);
    return sample.map((f) => Array.from(new Uint8Array(f)));
  });
  assert.equal(frames.length, 8);
  const cache = await h.call(`/ops/packet-cache/${demo.video_room_id}`);
  assert.equal(cache.status, 200, JSON.stringify(cache.body));
  const doctorSid = await doctor.evaluate(() => window.confideVideo.room.localParticipant.sid);
  const tracks = cache.body.tracks;
  const doctorVideo = tracks.filter((t) => t.participant_sid === doctorSid && t.kind === 'video');
  assert.ok(doctorVideo.length > 0, JSON.stringify(tracks.map((t) => [t.participant_sid, t.kind, t.packets.length])));
  const payloads = tracks.flatMap((t) => t.packets.map((p) => Buffer.from(p.payload, 'base64')));
  assert.ok(payloads.length > 100, `the cache holds packets (${payloads.length})`);

  // No 16-byte run of any encoded frame (past its clear VP8 header) is in
  // the cache.
  let windows = 0;
  for (const frame of frames) {
    const bytes = Buffer.from(frame);
    const clear = bytes[0] & 0x01 ? 3 : 10;
    for (let at = clear; at + 16 <= bytes.length; at += 16) {
      const run = bytes.subarray(at, at + 16);
      windows++;
      assert.ok(!payloads.some((p) => p.indexOf(run) >= 0), `plaintext of an encoded frame found in the SFU's cache at offset ${at}`);
    }
  }
  assert.ok(windows > 50, `enough of the frames was looked for (${windows} runs)`);

  // Every packet starting a frame of the psychologist's video is SFrame:
  // a header with one key id (his) after the clear VP8 header.
  const kids = new Set();
  let starts = 0;
  for (const track of doctorVideo) {
    for (const packet of track.packets) {
      const p = Buffer.from(packet.payload, 'base64');
      const startOfFrame = (p[0] & 0x10) !== 0 && (p[0] & 0x07) === 0;
      if (!startOfFrame) continue;
      const at = vp8DescriptorLength(p);
      const clear = p[at] & 0x01 ? 3 : 10;
      const header = decodeHeader(new Uint8Array(p.subarray(at + clear)), 0);
      kids.add(String(header.kid));
      starts++;
    }
  }
  assert.ok(starts > 5, `frame starts in the cache (${starts})`);
  assert.equal(kids.size, 1, `one sender key id: ${[...kids]}`);

  // Nothing failed to decrypt on either side.
  for (const page of [doctor, patient]) {
    const { e2ee } = await received(page);
    assert.equal(e2ee.failed, 0, JSON.stringify(e2ee));
    assert.ok(e2ee.encrypted > 0, JSON.stringify(e2ee));
  }
});
