// End-to-end: two headless Chromiums join one room through web/call.html and
// must receive each other's audio and video through the SFU; when one leaves
// the other must see it go.
//
//   cargo build --bin confide && node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.mjs';

const ROOM = 'browser-test';
const h = new Harness();

async function openParticipant(name, token) {
  const page = await h.browser(name);
  await page.goto(`${h.base}/call.html?token=${encodeURIComponent(token)}`);
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


// ---- the test ----------------------------------------------------------------

before(async () => {
  await h.start();
});

after(async () => {
  await h.teardown();
});

test('two browsers exchange audio and video, and a leave is seen', { timeout: 120_000 }, async () => {
  const [aliceToken, bobToken] = [await h.mintToken(ROOM, 'alice'), await h.mintToken(ROOM, 'bob')];

  const alice = await openParticipant('alice', aliceToken);
  const bob = await openParticipant('bob', bobToken);

  for (const [name, page] of [['alice', alice], ['bob', bob]]) {
    await h.waitFor(`${name} to receive audio and video`, 30_000, async () => {
      const s = await mediaStats(page);
      return { ok: mediaFlowing(s), detail: s };
    });
  }

  // Both see each other by identity.
  const aliceSees = await alice.evaluate(() => window.confideCall.participants.map((p) => p.identity));
  assert.deepEqual(aliceSees, ['bob']);

  // Bob closes his browser: alice must see him go.
  await h.closeBrowser('bob');
  await h.waitFor('alice to see bob leave', 20_000, async () => {
    const participants = await alice.evaluate(() => window.confideCall.participants);
    return { ok: !participants.some((p) => p.identity === 'bob'), detail: participants };
  });
  assert.equal(await alice.evaluate(() => window.confideCall.state), 'joined');
});
