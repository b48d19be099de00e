// A call across a network namespace, for the bad-network tests: the
// clinic's video page on both sides of the demo appointment, the
// psychologist's Chromium on the host and the patient's inside a namespace
// (netns.mjs), and what each page's peer connection says (getStats).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import { Harness, sleep } from './harness.mjs';
import { IsolatedNetwork } from './netns.mjs';

/** Video frames decoded so far on a video page's current peer connection,
 *  which participant it is, and the page's state. */
export async function look(page) {
  return page.evaluate(async () => {
    const v = window.confideVideo;
    const room = v && v.room;
    let frames = 0;
    if (room && room._pc) {
      const report = await room._pc.getStats();
      report.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0;
      });
    }
    const remote = room && [...room.participants.values()][0];
    const bars = (id) => {
      const node = document.getElementById(id);
      return node.hidden ? null : Number(node.dataset.level);
    };
    return {
      state: v && v.state,
      text: document.getElementById('message-text').textContent,
      frames,
      sid: room && room.localParticipant.sid,
      room: room ? room.state : null,
      level: room ? room.localParticipant.networkQualityLevel : null,
      remoteLevel: remote ? remote.networkQualityLevel : null,
      bars: { local: bars('local-quality'), remote: bars('remote-quality') },
    };
  });
}

/** The API over HTTPS with the server's test certificate. */
export function apiJson(h, method, path, { body, token } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) };
    const request = https.request(`${h.base}${path}`, { method, ca: h.certificate, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${path}: ${response.statusCode} ${text}`))));
    });
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Both on the video page of the demo appointment, in a call with media. */
export async function sessionAcross(h, network) {
  const login = await apiJson(h, 'POST', '/api/auth/login', { body: { email: h.accounts.admin.email, password: h.accounts.admin.password } });
  const [demo] = await apiJson(h, 'GET', '/api/appointments/', { token: login.access_token });
  const link = `/video-session/${demo.video_room_id}`;
  // The psychologist lets the patient in ahead (the clinic's waiting room
  // is not what these tests are about).
  const host = await apiJson(h, 'POST', '/api/auth/login', { body: { email: h.accounts.psychologist.email, password: h.accounts.psychologist.password } });
  await apiJson(h, 'POST', `/api/appointments/${demo.id}/waiting-room/admit/`, { token: host.access_token });
  const doctor = await h.browser('doctor');
  const patient = await h.browser('patient', { executable: network.chromium });
  for (const [page, role] of [[doctor, 'psychologist'], [patient, 'patient']]) {
    // The namespace's interfaces coming up can abort a navigation
    // (ERR_NETWORK_CHANGED): sign in again until the page is ours.
    // A page whose scripts were cut off that way keeps its URL but never
    // starts: once loaded without the video page's state, it is reloaded.
    await h.waitFor(`${role} on the video page`, 60_000, async () => {
      if (!page.url().includes(link)) await h.signIn(page, role, link).catch(() => {});
      await page.waitForURL(`${h.base}${link}`, { timeout: 5_000 }).catch(() => {});
      await page.waitForLoadState('load', { timeout: 5_000 }).catch(() => {});
      const state = await page.evaluate(() => (window.confideVideo ? window.confideVideo.state : 'not started')).catch(() => null);
      if (state === 'not started' && page.url().includes(link)) await page.reload().catch(() => {});
      return { ok: state === 'in-call' || state === 'waiting', detail: { url: page.url(), state } };
    });
  }
  for (const [page, who] of [[doctor, 'doctor'], [patient, 'patient']]) {
    await h.waitFor(`${who} in the call, decoding video`, 60_000, async () => {
      const s = await look(page);
      return { ok: s.state === 'in-call' && s.frames > 10, detail: s };
    });
  }
  return { doctor, patient };
}

/** A namespace and the server on its host address (HTTPS); what it
 *  starts is pushed on `cleanups` (run in reverse). */
export async function serverAcross(cleanups) {
  const dir = await mkdtemp(join(tmpdir(), 'confide-across-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const network = await IsolatedNetwork.create(dir, { block: 'none' });
  cleanups.push(() => network.remove());
  const h = new Harness();
  cleanups.push(() => h.teardown());
  await h.start(undefined, { host: network.hostIp, https: true });
  return { h, network };
}

/** The server across a namespace, and the call. */
export async function setUpAcross(cleanups) {
  const { h, network } = await serverAcross(cleanups);
  return { h, network, call: await sessionAcross(h, network) };
}

/** Kilobits per second received in each whole second since `polls[0]`
 *  (polls: `{at, bytes}` by the page's clock). */
export function perSecond(polls) {
  const start = polls[0];
  const end = polls[polls.length - 1];
  const seconds = [];
  for (let s = 1; s * 1000 <= end.at - start.at; s++) {
    const from = polls.findLast((p) => p.at - start.at <= (s - 1) * 1000);
    const to = polls.findLast((p) => p.at - start.at <= s * 1000);
    seconds.push(((to.bytes - from.bytes) * 8) / (to.at - from.at));
  }
  return seconds;
}

/** The first second from which every later one is under `kbit` (a
 *  bucket lets nothing more through for long, so under means its queue
 *  is no longer growing). */
export function underFrom(seconds, kbit) {
  let settled = seconds.length;
  while (settled > 0 && seconds[settled - 1] < kbit) settled--;
  return settled;
}

/** Counters of a video page's peer connection: what it received of video
 *  and audio and what it sent, summed over its streams. */
export async function mediaCounters(page) {
  return page.evaluate(async () => {
    const pc = window.confideVideo.room._pc;
    const sum = { at: performance.now(), video: {}, audio: {}, sent: {} };
    const add = (into, s, names) => {
      for (const n of names) into[n] = (into[n] || 0) + (s[n] || 0);
    };
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        add(sum.video, s, ['framesDecoded', 'freezeCount', 'totalFreezesDuration', 'packetsReceived', 'packetsLost', 'retransmittedPacketsReceived', 'nackCount', 'pliCount', 'bytesReceived']);
      } else if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        add(sum.audio, s, ['totalSamplesReceived', 'concealedSamples', 'packetsReceived', 'packetsLost']);
      } else if (s.type === 'outbound-rtp' && s.kind === 'video') {
        add(sum.sent, s, ['packetsSent', 'retransmittedPacketsSent', 'nackCount', 'pliCount']);
      }
    });
    return sum;
  });
}

/** What a page received over `ms` (the condition's length, not a wait for
 *  an event): frames per second, freezes, concealed audio, repairs. */
export async function measure(pages, ms) {
  const start = {};
  for (const [who, page] of Object.entries(pages)) start[who] = await mediaCounters(page);
  await sleep(ms);
  const result = {};
  for (const [who, page] of Object.entries(pages)) {
    const end = await mediaCounters(page);
    const d = (part, name) => end[part][name] - start[who][part][name];
    const seconds = (end.at - start[who].at) / 1000;
    result[who] = {
      fps: d('video', 'framesDecoded') / seconds,
      framesDecoded: d('video', 'framesDecoded'),
      freezeCount: d('video', 'freezeCount'),
      totalFreezesDuration: d('video', 'totalFreezesDuration'),
      videoLost: d('video', 'packetsLost'),
      videoReceived: d('video', 'packetsReceived'),
      rtxReceived: d('video', 'retransmittedPacketsReceived'),
      nacksSent: d('video', 'nackCount'),
      plisSent: d('video', 'pliCount'),
      concealedAudio: d('audio', 'concealedSamples') / Math.max(1, d('audio', 'totalSamplesReceived')),
      audioLost: d('audio', 'packetsLost'),
      audioPacketsPerSecond: d('audio', 'packetsReceived') / seconds,
      nacksAnswered: d('sent', 'nackCount'),
      rtxSent: d('sent', 'retransmittedPacketsSent'),
      plisAnswered: d('sent', 'pliCount'),
    };
  }
  return result;
}
