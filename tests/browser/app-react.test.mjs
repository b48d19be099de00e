// Twilio's reference app, twilio-video-app-react, unchanged on Confide: built
// from tests/app-react/upstream with `twilio-video` resolved to our SDK
// (tests/app-react/build.mjs), served by Confide as its `[video_app]`, with
// Confide's `POST /token` in the shape the app's passcode sign-in expects.
// Headless Chromiums use it the way its own Cypress spec does: a link with
// the passcode, the pre-join screen, join, see and hear each other, mute,
// camera off and on, share the screen, leave; with two and three people.
// (Chat is Twilio Conversations, which the build turns off.)
// Media is checked through getStats on the app's own room object
// (`window.twilioRoom`, which the app sets); the app's pages only say where
// to click. Nothing leaves 127.0.0.1: every other request is aborted (the
// app's index.html names Google Fonts, which Confide's policy blocks too).
//
//   cargo build --bin confide && node --test tests/browser/app-react.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join as joinPath } from 'node:path';
import { Harness } from './harness.mjs';
import { build } from '../app-react/build.mjs';

const PASSCODE = 'clinic-passcode-1';
const h = new Harness();

before(async () => {
  const out = await build(joinPath(await h.tempDir('confide-app-react-'), 'build'));
  await h.start(`[video_app]\ndir = "${out}"\npasscode = "${PASSCODE}"\n`);
});

after(async () => {
  await h.teardown();
});

/** Opens the app as `name` from a passcode link, and joins `room` from its pre-join screens. */
async function join(name, room) {
  const page = await h.browser(name);
  // As the app's Cypress spec does: speaker view, which marks the main participant.
  await page.addInitScript(() => window.localStorage.setItem('gallery-view-active-key', 'false'));
  await page.context().route(/^(?!https?:\/\/127\.0\.0\.1[:/])/, (route) => route.abort());
  await page.goto(`${h.base}/?passcode=${PASSCODE}`);
  await page.fill('#input-user-name', name);
  await page.fill('#input-room-name', room);
  await page.click('[type="submit"]');
  await page.click('[data-cy-join-now]', { timeout: 60_000 });
  await page.waitForSelector('[data-cy-main-participant]', { timeout: 60_000 });
  return page;
}

/** What the page receives from each remote participant, per track name:
 *  frames decoded (video) or packets received (audio), from getStats; and
 *  each publication's state as the app's room object has it. */
function received(page) {
  return page.evaluate(async () => {
    const room = window.twilioRoom;
    if (!room || !room._pc) return null;
    const byTrack = new Map();
    (await room._pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp') byTrack.set(s.trackIdentifier, s.kind === 'video' ? s.framesDecoded || 0 : s.packetsReceived || 0);
    });
    const out = {};
    for (const p of room.participants.values()) {
      out[p.identity] = {};
      for (const pub of p.tracks.values()) {
        out[p.identity][pub.trackName] = {
          kind: pub.kind,
          enabled: pub.isTrackEnabled,
          subscribed: pub.isSubscribed,
          count: pub.track ? byTrack.get(pub.track.mediaStreamTrack.id) ?? 0 : 0,
        };
      }
    }
    return out;
  });
}

/** The name of `identity`'s published track of `kind` other than `except`, as `page` sees it. */
async function trackName(page, identity, kind, except = []) {
  const r = await received(page);
  const tracks = (r && r[identity]) || {};
  return Object.keys(tracks).find((n) => tracks[n].kind === kind && !except.includes(n));
}

/** Waits until `page` receives growing media from `identity`: video frames
 *  and audio packets on each of its tracks (`names`: only those). */
async function waitForMediaFrom(page, viewer, identity, names) {
  const start = (await received(page))?.[identity] || {};
  await h.waitFor(`${viewer} to receive media from ${identity}`, 60_000, async () => {
    const now = (await received(page))?.[identity];
    if (!now) return { ok: false, detail: 'not in the room yet' };
    const wanted = names || Object.keys(now);
    const ok = wanted.length > 0 && wanted.every((n) => now[n] && now[n].subscribed && now[n].count >= (start[n]?.count || 0) + (now[n].kind === 'video' ? 15 : 50));
    return { ok, detail: { start, now } };
  });
}

/** The app's microphone-level meter for `identity` moves (the app reads the
 *  received audio with WebAudio): what its Cypress spec checks to "hear". */
async function waitForSoundFrom(page, viewer, identity) {
  await h.waitFor(`${viewer}'s meter for ${identity} to move`, 60_000, async () => {
    const y = await page.$eval(`[data-cy-participant="${identity}"] clipPath rect`, (el) => Number(el.getAttribute('y'))).catch(() => null);
    return { ok: y !== null && y < 14, detail: { y } };
  });
}

async function waitForPublication(page, viewer, identity, what, test) {
  return h.waitFor(`${viewer}: ${identity}'s ${what}`, 60_000, async () => {
    const r = await received(page);
    const tracks = (r && r[identity]) || {};
    return { ok: test(tracks), detail: tracks };
  });
}

test('two people: join, see and hear each other, mute, camera off and on, share the screen, leave', async () => {
  const room = 'consult-two';
  const alice = await join('alice', room);
  const bob = await join('bob', room);

  for (const [page, viewer, other] of [[alice, 'alice', 'bob'], [bob, 'bob', 'alice']]) {
    await page.waitForSelector(`[data-cy-participant="${other}"]`, { timeout: 60_000 });
    await waitForMediaFrom(page, viewer, other);
    await waitForSoundFrom(page, viewer, other);
  }
  // The other person is the main participant in speaker view.
  assert.match(await alice.innerText('[data-cy-main-participant]'), /bob/);

  // Mute and unmute: the other side sees the microphone off, then on.
  const mic = await trackName(bob, 'alice', 'audio');
  await alice.click('[data-cy-audio-toggle]');
  await waitForPublication(bob, 'bob', 'alice', 'microphone muted', (t) => t[mic] && t[mic].enabled === false);
  await alice.click('[data-cy-audio-toggle]');
  await waitForPublication(bob, 'bob', 'alice', 'microphone back', (t) => t[mic] && t[mic].enabled === true);

  // Camera off and on: the app unpublishes the camera and stops it, then
  // publishes a new one (a new name), which bob receives.
  const camera = await trackName(bob, 'alice', 'video');
  const stoppedAt = await alice.evaluate(() => Date.now());
  await alice.click('button:has-text("Stop Video")');
  await waitForPublication(bob, 'bob', 'alice', 'camera unpublished', (t) => !t[camera] && Object.values(t).every((x) => x.kind !== 'video'));
  // The app ignores a click within 500 ms of the last one (its guard
  // against double clicks): wait until the page's clock has passed that.
  await alice.waitForFunction((since) => Date.now() - since > 600, stoppedAt);
  await alice.click('button:has-text("Start Video")');
  await waitForPublication(bob, 'bob', 'alice', 'a new camera', (t) => Object.values(t).some((x) => x.kind === 'video'));
  const again = await trackName(bob, 'alice', 'video');
  assert.notEqual(again, camera);
  await waitForMediaFrom(bob, 'bob', 'alice', [again]);

  // Screen share: the app publishes getDisplayMedia's track as 'screen',
  // which bob receives; stopping it unpublishes it.
  await alice.click('button:has-text("Share Screen")');
  await waitForPublication(bob, 'bob', 'alice', 'screen', (t) => t.screen && t.screen.kind === 'video');
  await waitForMediaFrom(bob, 'bob', 'alice', ['screen']);
  await alice.click('button:has-text("Stop Sharing")');
  await waitForPublication(bob, 'bob', 'alice', 'screen stopped', (t) => !t.screen);

  // Leave: alice is back at the pre-join screen, and gone from bob's.
  await alice.click('footer [data-cy-disconnect]');
  await alice.waitForSelector('#input-user-name, [data-cy-join-now], [type="submit"]', { timeout: 60_000 });
  await h.waitFor('alice gone from bob\'s room', 60_000, async () => {
    const r = await received(bob);
    const tile = await bob.$('[data-cy-participant="alice"]');
    return { ok: r !== null && !r.alice && tile === null, detail: r };
  });
  await h.closeBrowser('alice');
  await bob.click('footer [data-cy-disconnect]');
  await h.closeBrowser('bob');
});

test('three people see and hear one another, see one share the screen, and the others go on when one leaves', async () => {
  const room = 'consult-three';
  const people = ['ana', 'ben', 'cleo'];
  const pages = {};
  for (const name of people) pages[name] = await join(name, room);
  for (const viewer of people) {
    for (const other of people.filter((p) => p !== viewer)) {
      await pages[viewer].waitForSelector(`[data-cy-participant="${other}"]`, { timeout: 60_000 });
      await waitForMediaFrom(pages[viewer], viewer, other);
    }
  }
  await pages.ana.click('button:has-text("Share Screen")');
  for (const viewer of ['ben', 'cleo']) await waitForMediaFrom(pages[viewer], viewer, 'ana', ['screen']);
  await pages.cleo.click('footer [data-cy-disconnect]');
  for (const viewer of ['ana', 'ben']) {
    const other = viewer === 'ana' ? 'ben' : 'ana';
    await h.waitFor(`cleo gone from ${viewer}'s room`, 60_000, async () => {
      const r = await received(pages[viewer]);
      return { ok: r !== null && !r.cleo, detail: r };
    });
    await waitForMediaFrom(pages[viewer], viewer, other);
  }
});
