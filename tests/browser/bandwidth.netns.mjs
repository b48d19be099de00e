// A patient on a narrow downlink: the patient's Chromium inside a network
// namespace (netns.mjs) whose downlink passes a 300 kbit/s token bucket
// (tbf), the psychologist's on the host, the clinic's video page on both.
//
// The SFU estimates each participant's downlink from the transport-wide
// feedback about what it sends there (GCC), and caps each publisher's video
// at its narrowest subscriber's share (REMB). The psychologist's camera,
// must come down under what the patient's link carries, so the patient's
// video goes on instead of freezing on a full queue (without the cap it
// froze for good). How long that took and how the video went meanwhile is
// printed (and recorded in docs/benchmarks.md).
//
// Run on its own, not beside the other browser tests (namespaces make every
// Chromium on the machine see a network change):
//
//   cargo build -p confide-api -p confide-testkit --bin confide --bin delay-queue &&
//     node --test tests/browser/bandwidth.netns.mjs

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './harness.mjs';
import { mediaCounters, setUpAcross } from './across.mjs';

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
  const { network, call } = await setUpAcross(cleanups);
  const { doctor, patient } = call;
  // The uncapped rate, over five seconds once the call has ramped up.
  await sleep(10_000);
  const a = await received(patient);
  await sleep(5_000);
  const b = await received(patient);
  const uncappedKbit = ((b.bytes - a.bytes) * 8) / (b.at - a.at);
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
  const seconds = [];
  for (let s = 1; s * 1000 <= end.at - start.at; s++) {
    const from = polls.findLast((p) => p.at - start.at <= (s - 1) * 1000);
    const to = polls.findLast((p) => p.at - start.at <= s * 1000);
    seconds.push(((to.bytes - from.bytes) * 8) / (to.at - from.at));
  }
  // Settled: the first second from which every later second is under the
  // cap (the bucket lets nothing more through for long, so "under" means
  // the queue is no longer growing).
  let settled = seconds.length;
  while (settled > 0 && seconds[settled - 1] < CAP_KBIT) settled--;
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
