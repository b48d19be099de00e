// An upgrade mid-session: the server is stopped with SIGTERM (as systemd
// does) while two SDK participants are in a call, and started again on the
// same ports and data. The server tells both it is restarting (53001); the
// SDK reconnects by itself — `reconnecting`, then `reconnected`, never
// `disconnected` — and media flows again (getStats). (A new process knows
// nothing of the old sessions, so each side sees the other rejoin under a
// new participant SID; keeping SIDs across an outage is a signaling resume,
// which needs the same process.)
//
//   cargo build --bin confide && node --test tests/browser/restart.test.mjs

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.mjs';
import { openSdk, connect, roomEvents, mediaState, waitForMedia } from './sdk-page.mjs';

const h = new Harness();
after(() => h.teardown());

test('a server restart mid-call: both SDKs reconnect by themselves and media resumes', { timeout: 180_000 }, async () => {
  await h.start();
  const room = 'upgrade-mid-session';
  const pages = { clinic: await openSdk(h, 'clinic'), patient: await openSdk(h, 'patient') };
  await connect(pages.clinic, await h.mintToken(room, 'psychologist'));
  await connect(pages.patient, await h.mintToken(room, 'patient'));
  const before = {};
  for (const [who, page] of Object.entries(pages)) before[who] = await waitForMedia(h, page, who);

  await h.restart();

  for (const [who, page] of Object.entries(pages)) {
    const { detail } = await h.waitFor(`${who} to reconnect`, 60_000, async () => {
      const events = await roomEvents(page);
      return { ok: events.some((e) => e.event === 'reconnected'), detail: events };
    });
    const reconnecting = detail.find((e) => e.event === 'reconnecting');
    assert.ok(reconnecting, `${who} was told it is reconnecting: ${JSON.stringify(detail)}`);
    assert.equal(reconnecting.code, 53001, `${who}: the server said it is restarting`);
    assert.ok(!detail.some((e) => e.event === 'disconnected'), `${who} stayed in the room: ${JSON.stringify(detail)}`);
    const after = await waitForMedia(h, page, `${who} after the restart`, { frames: (await mediaState(page)).frames });
    const reconnected = detail.find((e) => e.event === 'reconnected');
    console.log(`# ${who}: reconnected ${Math.round(reconnected.at - reconnecting.at)} ms after being told; ${after.frames} frames decoded in all (${before[who].frames} before)`);
  }
});
