// Narrow downlinks. In each test one Chromium runs inside a network
// namespace (netns.mjs) whose downlink passes a 300 kbit/s token bucket
// (tbf); the others run on the host.
//
// First, a patient on the clinic's video page (no simulcast), the
// psychologist on the host.
//
// The SFU estimates each participant's downlink from the transport-wide
// feedback about what it sends there (GCC), and caps each publisher's video
// at its narrowest subscriber's share (REMB). The psychologist's camera,
// must come down under what the patient's link carries, so the patient's
// video goes on instead of freezing on a full queue (without the cap it
// froze for good). How long that took and how the video went meanwhile is
// printed (and recorded in docs/benchmarks.md).
//
// Then three people through the SDK, each publishing VP8 simulcast (as
// twilio-video apps do with preferredVideoCodecs: [{codec: 'VP8',
// simulcast: true}]), the third on the narrow link: the SFU gives it the
// lowest layer of each video, whose bitrate fits, while the second, on a
// wide link, keeps the full-size layer.
//
// Run on its own, not beside the other browser tests (namespaces make every
// Chromium on the machine see a network change):
//
//   cargo build -p confide-api -p confide-testkit --bin confide --bin delay-queue &&
//     node --test tests/browser/bandwidth.netns.mjs

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './harness.mjs';
import { openSdk } from './sdk-page.mjs';
import { mediaCounters, perSecond, serverAcross, setUpAcross, underFrom } from './across.mjs';

const cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const CAP_KBIT = 300;
/** How long the narrow link is watched (the condition's length). */
const WATCH_MS = 40_000;

/** Bytes received (audio and video), frames decoded, and when, by the
 *  page's own clock (getStats timestamps). */
async function received(page) {
  const c = await mediaCounters(page);
  return { at: c.at, bytes: (c.video.bytesReceived || 0) + (c.audio.bytesReceived || 0), frames: c.video.framesDecoded || 0, c };
}

/** What the psychologist's browser may send now (its congestion
 *  controller's figure, which a REMB caps). */
async function availableOutgoing(page) {
  return page.evaluate(async () => {
    let bps = null;
    (await window.confideVideo.room._pc.getStats()).forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate !== undefined) bps = s.availableOutgoingBitrate;
    });
    return bps;
  });
}

test(`a patient on a ${CAP_KBIT} kbit/s downlink: the psychologist's video is capped to fit, and the patient's video keeps going`, { timeout: 300_000 }, async () => {
  const { h, network, call } = await setUpAcross(cleanups);
  const { doctor, patient } = call;
  // The uncapped rate: the call ramps up (on this machine's two cores the
  // psychologist's encoder takes 10–30 s) until the patient receives more
  // than the link will carry.
  let uncappedKbit = 0;
  await h.waitFor(`the patient receiving more than ${CAP_KBIT} kbit/s`, 90_000, async () => {
    const a = await received(patient);
    await sleep(2_000);
    const b = await received(patient);
    uncappedKbit = ((b.bytes - a.bytes) * 8) / (b.at - a.at);
    return { ok: uncappedKbit > CAP_KBIT, detail: { uncappedKbit } };
  });
  const uncappedOutgoing = await availableOutgoing(doctor);

  await network.limitDownlink(CAP_KBIT);
  cleanups.push(() => network.clearDownlinkLimit());
  const start = await received(patient);
  // Polled through the condition: per-second bitrate, and every frame
  // count with the page's timestamp (a freeze is a run of polls with no
  // new frame).
  const polls = [start];
  const outgoing = [];
  while (polls[polls.length - 1].at - start.at < WATCH_MS) {
    await sleep(250);
    polls.push(await received(patient));
    if (polls.length % 4 === 0) outgoing.push(Math.round(((await availableOutgoing(doctor)) || 0) / 1000));
  }
  const cappedOutgoing = await availableOutgoing(doctor);
  const end = polls[polls.length - 1];
  const seconds = perSecond(polls);
  const settled = underFrom(seconds, CAP_KBIT);
  let longestFreezeMs = 0;
  let frozenSince = null;
  for (let i = 1; i < polls.length; i++) {
    if (polls[i].at - start.at < settled * 1000) continue;
    if (polls[i].frames === polls[i - 1].frames) {
      frozenSince ??= polls[i - 1].at;
      longestFreezeMs = Math.max(longestFreezeMs, polls[i].at - frozenSince);
    } else {
      frozenSince = null;
    }
  }
  const after = end.c.video;
  const tail = seconds.slice(settled);
  const tailKbit = tail.length ? tail.reduce((x, y) => x + y, 0) / tail.length : NaN;
  const tailFps = tail.length ? (end.frames - polls.find((p) => p.at - start.at >= settled * 1000).frames) / tail.length : NaN;
  console.log(
    `# ${CAP_KBIT} kbit/s downlink: uncapped ${uncappedKbit.toFixed(0)} kbit/s received (psychologist's available outgoing ${Math.round((uncappedOutgoing || 0) / 1000)} kbit/s); ` +
      `settled under the cap after ${settled} s at ${tailKbit.toFixed(0)} kbit/s and ${tailFps.toFixed(1)} fps, longest freeze after that ${Math.round(longestFreezeMs)} ms; ` +
      `psychologist's available outgoing then ${Math.round((cappedOutgoing || 0) / 1000)} kbit/s; per second: ${seconds.map((x) => x.toFixed(0)).join(' ')}; ` +
      `psychologist's available outgoing per second: ${outgoing.join(' ')}; freezes in all ${after.freezeCount - start.c.video.freezeCount} (${(after.totalFreezesDuration - start.c.video.totalFreezesDuration).toFixed(1)} s)`,
  );
  // What is asserted is what the cap achieves today against the same link
  // without it (the psychologist's video then froze for the whole 40 s,
  // 0.3 fps: docs/benchmarks.md). Settling within 10 s with no freeze over
  // 1 s, as issue 14 asks, is not reached yet: the figures printed above
  // say how far off it is.
  assert.ok(uncappedKbit > CAP_KBIT, `the call ran above the cap before it (${uncappedKbit} kbit/s)`);
  assert.ok(cappedOutgoing < uncappedOutgoing, `the psychologist's browser was told to send less (${uncappedOutgoing} → ${cappedOutgoing})`);
  assert.ok(Math.min(...outgoing) < CAP_KBIT, `and less than the link carries at some point (${outgoing.join(' ')})`);
  const fps = (end.frames - start.frames) / ((end.at - start.at) / 1000);
  assert.ok(fps > 5, `the patient's video kept going on the narrow link (${fps.toFixed(1)} fps)`);
});

/** Joins `page` (the SDK test page) to the room, publishing simulcast. */
async function joinSimulcast(page, token) {
  await page.evaluate(async (token) => {
    window.room = await window.Video.connect(token, { preferredVideoCodecs: [{ codec: 'VP8', simulcast: true }] });
  }, token);
}

/** What a page receives: per remote video (by SSRC) frames decoded and
 *  frame width, and bytes of all media, by the page's clock. */
async function receiving(page) {
  return page.evaluate(async () => {
    const out = { at: performance.now(), bytes: 0, videos: {}, freezes: 0, freezeSeconds: 0 };
    (await window.room._pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      out.bytes += s.bytesReceived || 0;
      if (s.kind === 'video') {
        out.videos[s.ssrc] = { frames: s.framesDecoded || 0, width: s.frameWidth || 0 };
        out.freezes += s.freezeCount || 0;
        out.freezeSeconds += s.totalFreezesDuration || 0;
      }
    });
    return out;
  });
}

/** How long the simulcast test watches the narrow link: the layer choice
 *  holds off climbing again for 30 s after the link narrowed, and a climb
 *  is a probe of the link that may overfill it for a moment (see
 *  docs/benchmarks.md). */
const SIMULCAST_WATCH_MS = 30_000;

test(`three people publishing simulcast, one on a ${CAP_KBIT} kbit/s downlink: it gets the low layers, the others keep the full-size one`, { timeout: 400_000 }, async () => {
  const { h, network } = await serverAcross(cleanups);

  const pages = {};
  for (const [who, executable] of [['ana', undefined], ['ben', undefined], ['cleo', network.chromium]]) {
    pages[who] = await openSdk(h, who, executable);
    await joinSimulcast(pages[who], await h.mintToken('simulcast', who));
  }
  const { ana, ben, cleo } = pages;
  // Everyone sees both others, and Ben and Cleo (both on wide links yet)
  // get the full-size layers (640 wide: the fake camera's) once their
  // layer choice has climbed to them.
  for (const [who, page] of Object.entries(pages)) {
    await h.waitFor(`${who} decoding two videos`, 60_000, async () => {
      const r = await receiving(page);
      const videos = Object.values(r.videos);
      return { ok: videos.length === 2 && videos.every((v) => v.frames > 10), detail: r };
    });
  }
  for (const [who, page] of [['Ben', ben], ['Cleo', cleo]]) {
    await h.waitFor(`${who} receiving the full-size layers`, 90_000, async () => {
      const r = await receiving(page);
      return { ok: Object.values(r.videos).every((v) => v.width === 640), detail: r };
    });
  }
  const a = await receiving(cleo);
  await sleep(5_000);
  const b = await receiving(cleo);
  const uncappedKbit = ((b.bytes - a.bytes) * 8) / (b.at - a.at);

  await network.limitDownlink(CAP_KBIT);
  cleanups.push(() => network.clearDownlinkLimit());
  const start = await receiving(cleo);
  const polls = [start];
  const benWidths = [];
  while (polls[polls.length - 1].at - start.at < SIMULCAST_WATCH_MS) {
    await sleep(250);
    polls.push(await receiving(cleo));
    if (polls.length % 4 === 0) benWidths.push(Object.values((await receiving(ben)).videos).map((v) => v.width));
  }
  const end = polls[polls.length - 1];
  const seconds = perSecond(polls);
  // Settled: every second from then on under the cap, and both videos
  // on a lower layer (the switch made: what froze before it was the link
  // filling up with the full-size layers).
  let settled = underFrom(seconds, CAP_KBIT);
  const switched = polls.findIndex((p, i) => polls.slice(i).every((q) => Object.values(q.videos).every((v) => v.width > 0 && v.width < 640)));
  const switchedAfterMs = switched < 0 ? Infinity : polls[switched].at - start.at;
  settled = Math.max(settled, Math.ceil(switchedAfterMs / 1000));
  // The longest time either video on Cleo's page went without a new frame
  // once settled.
  let longestFreezeMs = 0;
  for (const ssrc of Object.keys(end.videos)) {
    let lastNew = null;
    for (let i = 1; i < polls.length; i++) {
      const now = polls[i].videos[ssrc];
      const before = polls[i - 1].videos[ssrc];
      if (!now || !before) continue;
      if (polls[i].at - start.at < settled * 1000) continue;
      lastNew ??= polls[i - 1].at;
      if (now.frames > before.frames) lastNew = polls[i].at;
      else longestFreezeMs = Math.max(longestFreezeMs, polls[i].at - lastNew);
    }
  }
  const tail = seconds.slice(settled);
  const tailKbit = tail.length ? tail.reduce((x, y) => x + y, 0) / tail.length : NaN;
  const fps = Object.keys(end.videos).map((ssrc) => ((end.videos[ssrc].frames - (start.videos[ssrc] || { frames: 0 }).frames) * 1000) / (end.at - start.at));
  console.log(
    `# simulcast, ${CAP_KBIT} kbit/s downlink for one of three: ${uncappedKbit.toFixed(0)} kbit/s received before; ` +
      `on the lower layers after ${(switchedAfterMs / 1000).toFixed(1)} s, settled under the cap after ${settled} s at ${tailKbit.toFixed(0)} kbit/s, ${fps.map((f) => f.toFixed(1)).join(' / ')} fps, ` +
      `widths ${Object.values(end.videos).map((v) => v.width).join(' / ')}, longest freeze after that ${Math.round(longestFreezeMs)} ms ` +
      `(getStats: ${end.freezes - start.freezes} freezes, ${(end.freezeSeconds - start.freezeSeconds).toFixed(1)} s); per second: ${seconds.map((x) => x.toFixed(0)).join(' ')}; ` +
      `Ben's widths every second: ${benWidths.map((w) => w.join('/')).join(' ')}`,
  );
  assert.ok(uncappedKbit > CAP_KBIT, `Cleo received more than the cap before it (${uncappedKbit.toFixed(0)} kbit/s)`);
  assert.ok(settled <= 10, `Cleo's received bitrate settled under ${CAP_KBIT} kbit/s within 10 s (after ${settled} s: ${seconds.map((x) => x.toFixed(0)).join(' ')})`);
  assert.ok(longestFreezeMs <= 1000, `no freeze over 1 s after that (longest ${Math.round(longestFreezeMs)} ms)`);
  assert.ok(Object.values(end.videos).every((v) => v.width > 0 && v.width < 640), `Cleo receives lower layers (${Object.values(end.videos).map((v) => v.width).join(', ')})`);
  assert.ok(benWidths.every((w) => w.every((x) => x === 640)), `Ben kept the full-size layers throughout (${benWidths.map((w) => w.join('/')).join(' ')})`);
});
