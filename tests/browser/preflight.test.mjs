// runPreflight (twilio-video's connectivity test) against the real server:
// synthetic audio and video go out through the SFU and come back to the
// same browser (docs/signaling.md 4.8a), the progress events arrive in
// twilio-video's names, the report carries jitter, round trip time, loss and
// the ICE candidates used, and nobody in the token's room sees the test.
// A bad token fails with its Twilio code; stop() fails the test.
//
//   cargo build --bin confide && node --test tests/browser/preflight.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.mjs';
import { openSdk, connect } from './sdk-page.mjs';

const h = new Harness();

before(async () => {
  await h.start();
});

after(async () => {
  await h.teardown();
});

/** Runs a preflight in `page`; resolves with what it emitted. */
function runPreflight(page, token, options, stopAfterProgress) {
  return page.evaluate(
    ([token, options, stopAfterProgress]) =>
      new Promise((resolve) => {
        const progress = [];
        const test = window.Video.runPreflight(token, options);
        test.on('progress', (name) => {
          progress.push(name);
          if (name === stopAfterProgress) test.stop();
        });
        test.on('completed', (report) => resolve({ outcome: 'completed', progress, report }));
        test.on('failed', (error, report) =>
          resolve({ outcome: 'failed', progress, code: error.code, name: error.name, message: error.message, report }),
        );
      }),
    [token, options, stopAfterProgress],
  );
}

test('a preflight sends media through the server and back, and reports on it', { timeout: 120_000 }, async () => {
  const bob = await openSdk(h, 'bob');
  await connect(bob, await h.mintToken('pf', 'bob'));
  const alice = await openSdk(h, 'alice');
  const result = await runPreflight(alice, await h.mintToken('pf', 'alice'), { duration: 3000 });
  assert.equal(result.outcome, 'completed', JSON.stringify(result));
  for (const name of ['mediaAcquired', 'connected', 'iceConnected', 'peerConnectionConnected', 'dtlsConnected', 'mediaSubscribed', 'mediaStarted']) {
    assert.ok(result.progress.includes(name), `progress ${name}: ${result.progress}`);
  }
  const { report } = result;
  assert.deepEqual(
    report.progressEvents.map((e) => e.name),
    result.progress,
  );
  assert.ok(report.testTiming.duration >= 3000, JSON.stringify(report.testTiming));
  for (const phase of ['connect', 'ice', 'peerConnection', 'dtls', 'media']) {
    assert.equal(typeof report.networkTiming[phase]?.duration, 'number', `${phase}: ${JSON.stringify(report.networkTiming)}`);
  }
  for (const stat of ['jitter', 'rtt', 'packetLoss']) {
    const s = report.stats[stat];
    assert.ok(s && s.min <= s.average && s.average <= s.max, `${stat}: ${JSON.stringify(s)}`);
  }
  assert.equal(report.stats.packetLoss.max, 0, 'nothing is lost over loopback');
  assert.equal(report.selectedIceCandidatePairStats.remoteCandidate.address, '127.0.0.1');
  assert.ok(report.iceCandidateStats.length >= 2);

  // Bob, in the token's room all along, never saw anyone.
  const seen = await bob.evaluate(() => window.roomEvents.filter((e) => e.event === 'participantConnected').length);
  assert.equal(seen, 0);
  assert.equal(await bob.evaluate(() => window.room.participants.size), 0);
});

test('a bad token fails the preflight with its Twilio code, and stop() fails it', { timeout: 60_000 }, async () => {
  const page = await openSdk(h, 'carol');
  const bad = await runPreflight(page, 'not-a-token', { duration: 1000 });
  assert.equal(bad.outcome, 'failed');
  assert.equal(bad.code, 20101, JSON.stringify(bad));
  assert.equal(bad.name, 'AccessTokenInvalidError');
  assert.deepEqual(bad.report.progressEvents.map((e) => e.name), ['mediaAcquired']);

  const stopped = await runPreflight(page, await h.mintToken('pf', 'carol'), { duration: 60_000 }, 'mediaStarted');
  assert.equal(stopped.outcome, 'failed', JSON.stringify(stopped));
  assert.match(stopped.message, /stopped/);
  assert.ok(stopped.progress.includes('mediaStarted'));
});
