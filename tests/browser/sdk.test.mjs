// The browser SDK (web/sdk, twilio-video's API over Confide's signaling)
// end to end: headless Chromiums load web/sdk/test.html, which exposes the
// SDK as window.Video, and drive it the way an application written for
// twilio-video would. Media is checked through getStats, never the DOM.
// The SDK's JSDoc types are checked too (tsc), so a type error fails here.
//
//   cargo build --bin confide && node --test tests/browser/sdk.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Harness } from './harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOM = 'sdk-test';
const h = new Harness();

before(async () => {
  await h.start();
});

after(async () => {
  await h.teardown();
});

// ---- in-page helpers ---------------------------------------------------------

// Runs in the page: window.T records every Room event, with arguments
// reduced to plain data the test can read.
function installHelpers() {
  const describe = (x) => {
    if (x === undefined || x === null) return null;
    if (x instanceof Error) return { error: x.message, code: x.code, name: x.name, isError: true };
    if (typeof x !== 'object') return x;
    if ('identity' in x) return { participant: x.identity, sid: x.sid };
    if ('trackSid' in x) return { publication: x.trackName, kind: x.kind, enabled: x.isTrackEnabled, subscribed: x.isSubscribed };
    if ('mediaStreamTrack' in x) return { track: x.name, kind: x.kind, enabled: x.isEnabled };
    if ('participants' in x) return { room: x.name };
    return String(x);
  };
  const EVENTS = ['participantConnected', 'participantDisconnected', 'trackSubscribed', 'trackUnsubscribed', 'trackPublished', 'trackUnpublished', 'trackEnabled', 'trackDisabled', 'dominantSpeakerChanged', 'reconnecting', 'reconnected', 'participantReconnecting', 'participantReconnected', 'disconnected'];
  window.T = {
    room: null,
    events: [],
    async join(token, options) {
      const room = await window.Video.connect(token, options);
      this.room = room;
      for (const event of EVENTS) room.on(event, (...args) => this.events.push({ event, args: args.map(describe) }));
      return {
        sid: room.sid,
        name: room.name,
        state: room.state,
        identity: room.localParticipant.identity,
        localTracks: [...room.localParticipant.tracks.values()].map((p) => p.kind).sort(),
        participants: [...room.participants.values()].map((p) => p.identity),
      };
    },
    async inbound() {
      const report = await this.room._pc.getStats();
      const out = [];
      const codecs = new Map();
      report.forEach((s) => {
        if (s.type === 'codec') codecs.set(s.id, s.mimeType);
      });
      report.forEach((s) => {
        if (s.type === 'inbound-rtp') out.push({ kind: s.kind, mid: s.mid, packetsReceived: s.packetsReceived || 0, framesDecoded: s.framesDecoded || 0, codec: codecs.get(s.codecId) });
      });
      return { state: this.room.state, pc: this.room._pc && this.room._pc.connectionState, inbound: out };
    },
  };
}

async function openPage(name) {
  const page = await h.browser(name);
  await page.goto(`${h.base}/sdk/test.html`);
  await page.waitForFunction(() => window.sdkLoaded === true, null, { timeout: 10_000 });
  await page.evaluate(installHelpers);
  return page;
}

const events = (page) => page.evaluate(() => window.T.events);
const eventCount = async (page) => (await events(page)).length;

/** Waits for an event (after index `since`) that `match` accepts; returns it. */
async function waitForEvent(page, who, event, match = () => true, since = 0, timeoutMs = 20_000) {
  const { detail } = await h.waitFor(`${who} to get ${event}`, timeoutMs, async () => {
    const all = await events(page);
    const found = all.slice(since).find((e) => e.event === event && match(e));
    return { ok: !!found, detail: found || all.slice(-20) };
  });
  return detail;
}

const total = (s, kind, field) => s.inbound.filter((x) => x.kind === kind).reduce((n, x) => n + x[field], 0);

/** Waits until inbound video frames and audio packets exceed the given counts. */
async function waitForMedia(page, who, { frames = 0, packets = 0 } = {}) {
  return h.waitFor(`${who} to receive audio and video`, 30_000, async () => {
    const s = await page.evaluate(() => window.T.inbound());
    return { ok: total(s, 'video', 'framesDecoded') > frames && total(s, 'audio', 'packetsReceived') > packets, detail: s };
  });
}

const inbound = (page) => page.evaluate(() => window.T.inbound());

// ---- tests ---------------------------------------------------------------------

test('the SDK type-checks (tsc over its JSDoc)', { timeout: 120_000 }, async () => {
  const result = await new Promise((resolve) => {
    execFile('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json'], { cwd: HERE }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout + stderr });
    });
  });
  assert.equal(result.code, 0, `tsc reported errors:\n${result.out}`);
});

test('exports, local tracks and attach/detach', { timeout: 60_000 }, async () => {
  const page = await openPage('solo');
  const info = await page.evaluate(async () => {
    const V = window.Video;
    const N = window.VideoNamespace;
    const track = await V.createLocalVideoTrack({ name: 'camera', width: 320 });
    const created = track.attach();
    const holder = document.createElement('video');
    holder.id = 'holder';
    document.body.append(holder);
    const bySelector = track.attach('#holder');
    const out = {
      defaultFns: ['connect', 'createLocalTracks', 'createLocalAudioTrack', 'createLocalVideoTrack'].every((k) => typeof V[k] === 'function'),
      namedFns: ['connect', 'createLocalTracks', 'createLocalAudioTrack', 'createLocalVideoTrack'].every((k) => typeof N[k] === 'function'),
      sameConnect: V.connect === N.connect,
      isSupported: V.isSupported,
      version: V.version,
      kind: track.kind,
      name: track.name,
      isLocalVideoTrack: track instanceof V.LocalVideoTrack,
      tag: created.tagName,
      autoplay: created.autoplay,
      playsInline: created.playsInline,
      muted: created.muted,
      shows: created.srcObject.getVideoTracks()[0] === track.mediaStreamTrack,
      selectorReturned: bySelector === holder,
    };
    const detachedOne = track.detach(holder);
    out.detachOne = detachedOne === holder && holder.srcObject === null;
    const detachedAll = track.detach();
    out.detachAll = Array.isArray(detachedAll) && detachedAll.length === 1 && detachedAll[0] === created;
    track.disable();
    out.disabled = !track.isEnabled && !track.mediaStreamTrack.enabled;
    track.enable();
    out.reenabled = track.isEnabled;
    track.stop();
    out.stopped = track.isStopped;
    const both = await V.createLocalTracks();
    out.createdKinds = both.map((t) => t.kind).sort();
    both.forEach((t) => t.stop());
    return out;
  });
  assert.deepEqual(info, {
    defaultFns: true,
    namedFns: true,
    sameConnect: true,
    isSupported: true,
    version: info.version,
    kind: 'video',
    name: 'camera',
    isLocalVideoTrack: true,
    tag: 'VIDEO',
    autoplay: true,
    playsInline: true,
    muted: true,
    shows: true,
    selectorReturned: true,
    detachOne: true,
    detachAll: true,
    disabled: true,
    reenabled: true,
    stopped: true,
    createdKinds: ['audio', 'video'],
  });
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  await h.closeBrowser('solo');
});

test('connect rejects with a TwilioError: 20101 for a bad token, 53000 without a server', { timeout: 60_000 }, async () => {
  const page = await openPage('badtoken');
  const result = await page.evaluate(async () => {
    try {
      await window.Video.connect('not-a-token', { name: 'sdk-bad-token', audio: false, video: false });
      return { resolved: true };
    } catch (err) {
      return { isError: err instanceof Error, isTwilioError: err instanceof window.Video.TwilioError, code: err.code, message: err.message };
    }
  });
  assert.equal(result.isError, true, JSON.stringify(result));
  assert.equal(result.isTwilioError, true);
  assert.equal(result.code, 20101);
  assert.ok(result.message.length > 0);

  // Nothing listening: the websocket cannot open.
  const unreachable = await page.evaluate(async () => {
    try {
      await window.Video.connect('a.b.c', { audio: false, video: false, signalingUrl: 'ws://127.0.0.1:9/rtc' });
      return { resolved: true };
    } catch (err) {
      return { isError: err instanceof Error, code: err.code };
    }
  });
  assert.deepEqual(unreachable, { isError: true, code: 53000 });
  await h.closeBrowser('badtoken');
});

test('two participants: media, codecs, mute, restart, publish/unpublish with glare, reconnect, leave, duplicate identity', { timeout: 240_000 }, async () => {
  const alice = await openPage('alice');
  const bob = await openPage('bob');
  const aliceToken = await h.mintToken(ROOM, 'alice');
  const bobToken = await h.mintToken(ROOM, 'bob');

  // --- join: alice first (preferring VP8), then bob (preferring H.264)
  const aliceJoin = await alice.evaluate((t) => window.T.join(t, { name: 'sdk-test', preferredVideoCodecs: ['VP8'] }), aliceToken);
  assert.equal(aliceJoin.state, 'connected');
  assert.equal(aliceJoin.identity, 'alice');
  assert.equal(aliceJoin.name, ROOM);
  assert.match(aliceJoin.sid, /^RM/);
  assert.deepEqual(aliceJoin.localTracks, ['audio', 'video']);
  assert.deepEqual(aliceJoin.participants, []);
  const bobJoin = await bob.evaluate((t) => window.T.join(t, { name: 'sdk-test', preferredVideoCodecs: [{ codec: 'H264' }] }), bobToken);
  assert.deepEqual(bobJoin.participants, ['alice'], 'bob finds alice in room.participants');
  assert.equal(bobJoin.sid, aliceJoin.sid);

  await waitForEvent(alice, 'alice', 'participantConnected', (e) => e.args[0].participant === 'bob');
  for (const [page, who, other] of [[alice, 'alice', 'bob'], [bob, 'bob', 'alice']]) {
    for (const kind of ['audio', 'video']) {
      await waitForEvent(page, who, 'trackSubscribed', (e) => e.args[0].kind === kind && e.args[1].kind === kind && e.args[2].participant === other);
    }
    await waitForMedia(page, who);
  }
  // The SFU forwards each publisher's codec as is: each side gets the other's preference.
  const aliceStats = await inbound(alice);
  assert.ok(aliceStats.inbound.some((x) => x.kind === 'video' && x.codec === 'video/H264'), JSON.stringify(aliceStats));
  const bobStats = await inbound(bob);
  assert.ok(bobStats.inbound.some((x) => x.kind === 'video' && x.codec === 'video/VP8'), JSON.stringify(bobStats));

  // Alice's (fake) microphone was the only one in the room, so she is the
  // dominant speaker for bob; nobody louder has come along to change that.
  await h.waitFor('bob to see alice as the dominant speaker', 15_000, async () => {
    const speaker = await bob.evaluate(() => window.T.room.dominantSpeaker && window.T.room.dominantSpeaker.identity);
    return { ok: speaker === 'alice', detail: speaker };
  });

  // A remote track attaches like a local one, and the participant's maps are filled.
  const remote = await alice.evaluate(() => {
    const bobP = [...window.T.room.participants.values()][0];
    const pub = [...bobP.videoTracks.values()][0];
    const el = pub.track.attach();
    return {
      identity: bobP.identity,
      state: bobP.state,
      tag: el.tagName,
      isVideoElement: el instanceof HTMLVideoElement,
      isRemoteVideoTrack: pub.track instanceof window.Video.RemoteVideoTrack,
      sid: pub.track.sid === pub.trackSid && pub.trackSid.startsWith('MT'),
      counts: [bobP.tracks.size, bobP.audioTracks.size, bobP.videoTracks.size],
      subscribed: pub.isSubscribed,
    };
  });
  assert.deepEqual(remote, { identity: 'bob', state: 'connected', tag: 'VIDEO', isVideoElement: true, isRemoteVideoTrack: true, sid: true, counts: [2, 1, 1], subscribed: true });

  // --- bob turns his camera off and on
  let mark = await eventCount(alice);
  await bob.evaluate(() => [...window.T.room.localParticipant.videoTracks.values()][0].track.disable());
  const disabled = await waitForEvent(alice, 'alice', 'trackDisabled', (e) => e.args[0].kind === 'video', mark);
  assert.deepEqual(disabled.args[0], { publication: disabled.args[0].publication, kind: 'video', enabled: false, subscribed: true });
  assert.equal(disabled.args[1].participant, 'bob');
  assert.equal(await alice.evaluate(() => [...[...window.T.room.participants.values()][0].videoTracks.values()][0].track.isEnabled), false);
  mark = await eventCount(alice);
  await bob.evaluate(() => [...window.T.room.localParticipant.videoTracks.values()][0].track.enable());
  await waitForEvent(alice, 'alice', 'trackEnabled', (e) => e.args[0].kind === 'video' && e.args[0].enabled === true && e.args[1].participant === 'bob', mark);

  // --- bob restarts his camera (as when switching device): a new
  // MediaStreamTrack in the same sender, nothing unpublished, video goes on
  mark = await eventCount(alice);
  const framesBefore = total(await inbound(alice), 'video', 'framesDecoded');
  const restarted = await bob.evaluate(async () => {
    const { track } = [...window.T.room.localParticipant.videoTracks.values()][0];
    const old = track.mediaStreamTrack;
    await track.restart({ width: 320, height: 240 });
    return {
      replaced: track.mediaStreamTrack !== old && old.readyState === 'ended',
      sending: window.T.room._pc.getSenders().some((s) => s.track === track.mediaStreamTrack),
    };
  });
  assert.deepEqual(restarted, { replaced: true, sending: true });
  await waitForMedia(alice, 'alice (after bob restarted his camera)', { frames: framesBefore + 20 });
  const afterRestart = (await events(alice)).slice(mark).map((e) => e.event);
  assert.ok(!afterRestart.some((e) => /Unpublished|Unsubscribed/.test(e)), `restart must not unpublish: ${afterRestart}`);

  // --- bob unpublishes his microphone, then publishes another one
  mark = await eventCount(alice);
  await bob.evaluate(() => {
    const { localParticipant } = window.T.room;
    const pub = [...localParticipant.audioTracks.values()][0];
    localParticipant.unpublishTrack(pub.track);
    pub.track.stop();
  });
  await waitForEvent(alice, 'alice', 'trackUnsubscribed', (e) => e.args[0].kind === 'audio', mark);
  await waitForEvent(alice, 'alice', 'trackUnpublished', (e) => e.args[0].kind === 'audio' && e.args[1].participant === 'bob', mark);
  mark = await eventCount(alice);
  const published = await bob.evaluate(async () => {
    const track = await window.Video.createLocalAudioTrack({ name: 'mic2' });
    const pub = await window.T.room.localParticipant.publishTrack(track);
    return { name: pub.trackName, kind: pub.kind, same: pub.track === track, sid: pub.trackSid };
  });
  const { sid: mic2Sid, ...mic2 } = published;
  assert.deepEqual(mic2, { name: 'mic2', kind: 'audio', same: true });
  await waitForEvent(alice, 'alice', 'trackPublished', (e) => e.args[0].publication === 'mic2', mark);
  // publishTrack resolved with the SID the others see, as twilio-video's does.
  const seenSid = await alice.evaluate(() => [...[...window.T.room.participants.values()][0].tracks.values()].find((p) => p.trackName === 'mic2')?.trackSid);
  assert.equal(mic2Sid, seenSid);
  await waitForEvent(alice, 'alice', 'trackSubscribed', (e) => e.args[0].track === 'mic2' && e.args[0].kind === 'audio', mark);
  const before = total(await inbound(alice), 'audio', 'packetsReceived');
  await waitForMedia(alice, 'alice (new microphone)', { packets: before + 25 });

  // --- both change what they publish at once, over and over: offers cross
  // the server's (glare), m-lines are reused; in the end each side receives
  // the other's latest tracks, with nobody having had to reconnect
  const churn = async ({ kind, rounds }) => {
    const { localParticipant } = window.T.room;
    for (let i = 0; i < rounds; i++) {
      const pub = [...(kind === 'audio' ? localParticipant.audioTracks : localParticipant.videoTracks).values()][0];
      if (pub) {
        localParticipant.unpublishTrack(pub.track);
        pub.track.stop();
      }
      await new Promise((r) => setTimeout(r, Math.random() * 200));
      const name = `${kind}-${i}`;
      const track = kind === 'audio' ? await window.Video.createLocalAudioTrack({ name }) : await window.Video.createLocalVideoTrack({ name });
      await localParticipant.publishTrack(track);
      await new Promise((r) => setTimeout(r, Math.random() * 300));
    }
    return window.T.room._pc.getTransceivers().length;
  };
  const ROUNDS = 6;
  const churnMark = { alice: await eventCount(alice), bob: await eventCount(bob) };
  const transceivers = await Promise.all([alice.evaluate(churn, { kind: 'video', rounds: ROUNDS }), bob.evaluate(churn, { kind: 'audio', rounds: ROUNDS })]);
  // Unpublished m-lines are reused, so the SDP does not grow with each round.
  assert.ok(transceivers.every((n) => n <= 6), `transceivers: ${transceivers}`);
  await waitForEvent(alice, 'alice', 'trackSubscribed', (e) => e.args[0].track === `audio-${ROUNDS - 1}`, churnMark.alice);
  await waitForEvent(bob, 'bob', 'trackSubscribed', (e) => e.args[0].track === `video-${ROUNDS - 1}`, churnMark.bob);
  // The other's publications: [kind, name, subscribed].
  const theirs = (page) => page.evaluate(() => [...window.T.room.participants.values()].flatMap((p) => [...p.tracks.values()].map((t) => [t.kind, t.trackName, t.isSubscribed])));
  const holds = (pubs, kind, name) => pubs.length === 2 && pubs.every(([, , subscribed]) => subscribed) && pubs.some(([k, n]) => k === kind && n === name);
  await h.waitFor("each side to hold exactly the other's latest tracks", 10_000, async () => {
    const [a, b] = [await theirs(alice), await theirs(bob)];
    return { ok: holds(a, 'audio', `audio-${ROUNDS - 1}`) && holds(b, 'video', `video-${ROUNDS - 1}`), detail: { alice: a, bob: b } };
  });
  for (const [page, who] of [[alice, 'alice'], [bob, 'bob']]) {
    const s = await inbound(page);
    await waitForMedia(page, `${who} (after the churn)`, { frames: total(s, 'video', 'framesDecoded') + 10, packets: total(s, 'audio', 'packetsReceived') + 25 });
  }
  for (const [page, who] of [[alice, 'alice'], [bob, 'bob']]) {
    const seen = (await events(page)).slice(churnMark[who]).map((e) => e.event);
    assert.ok(!seen.includes('reconnecting'), `${who} had to reconnect during the churn: ${seen}`);
  }

  // --- alice's websocket drops: she resumes the same participant on a new
  // one; bob sees her reconnecting and back, never gone
  const aliceMark = await eventCount(alice);
  const bobMark = await eventCount(bob);
  const bobFrames = total(await inbound(bob), 'video', 'framesDecoded');
  const aliceSid = await alice.evaluate(() => window.T.room.localParticipant.sid);
  const alicePc = await alice.evaluate(() => (window.firstPc = window.T.room._pc) !== null);
  assert.ok(alicePc);
  await alice.evaluate(() => window.T.room._session.signaling.ws.close());
  const reconnecting = await waitForEvent(alice, 'alice', 'reconnecting', () => true, aliceMark);
  assert.equal(reconnecting.args[0].code, 53001);
  await waitForEvent(alice, 'alice', 'reconnected', () => true, aliceMark, 35_000);
  assert.equal(await alice.evaluate(() => window.T.room.state), 'connected');
  assert.equal(await alice.evaluate(() => window.T.room.localParticipant.sid), aliceSid, 'the same participant');
  assert.ok(await alice.evaluate(() => window.T.room._pc === window.firstPc), 'the same peer connection');
  await waitForEvent(bob, 'bob', 'participantReconnecting', (e) => e.args[0].participant === 'alice', bobMark);
  await waitForEvent(bob, 'bob', 'participantReconnected', (e) => e.args[0].participant === 'alice', bobMark);
  await waitForMedia(alice, 'alice (after resuming)', { frames: total(await inbound(alice), 'video', 'framesDecoded') + 10 });
  await waitForMedia(bob, 'bob (after alice resumed)', { frames: bobFrames + 10 });
  const bobSaw = (await events(bob)).slice(bobMark).map((e) => e.event);
  assert.ok(!bobSaw.includes('participantDisconnected') && !bobSaw.includes('participantConnected'), `bob saw: ${bobSaw}`);
  const aliceSees = await alice.evaluate(() => [...window.T.room.participants.values()].map((p) => p.identity));
  assert.deepEqual(aliceSees, ['bob']);

  // --- bob leaves
  mark = await eventCount(alice);
  const bobLeft = await bob.evaluate(async () => {
    const { room } = window.T;
    room.disconnect();
    return { state: room.state, last: window.T.events[window.T.events.length - 1] };
  });
  assert.equal(bobLeft.state, 'disconnected');
  assert.deepEqual(bobLeft.last, { event: 'disconnected', args: [{ room: ROOM }, null] });
  await waitForEvent(alice, 'alice', 'participantDisconnected', (e) => e.args[0].participant === 'bob', mark);
  assert.equal(await alice.evaluate(() => window.T.room.participants.size), 0);

  // --- alice joins again from another browser: the first one is disconnected with 53205
  mark = await eventCount(alice);
  const alice2 = await openPage('alice2');
  await alice2.evaluate((t) => window.T.join(t, { name: 'sdk-test', audio: false, video: false }), aliceToken);
  const dup = await waitForEvent(alice, 'alice', 'disconnected', () => true, mark);
  assert.equal(dup.args[1].code, 53205, JSON.stringify(dup));
  assert.equal(dup.args[1].isError, true);
  const after = (await events(alice)).slice(mark).map((e) => e.event);
  assert.ok(!after.includes('reconnecting'), `no reconnect after a duplicate identity: ${after}`);
  assert.equal(await alice.evaluate(() => window.T.room.state), 'disconnected');
});

test('removed by the clinic (REST Status=disconnected): the room disconnects with no error and does not rejoin', { timeout: 60_000 }, async () => {
  // The clinic's server-side calls, with the API key Confide generated.
  const keyFile = await readFile(join(h.dataDir, 'api-key.toml'), 'utf8');
  const field = (name) => keyFile.match(new RegExp(`^${name}\\s*=\\s*"([^"]+)"`, 'm'))[1];
  const auth = Buffer.from(`${field('api_key_sid')}:${field('api_key_secret')}`).toString('base64');
  const rest = async (path, body) => {
    const response = await fetch(`${h.base}/v1${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { Authorization: `Basic ${auth}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
    const text = await response.text();
    assert.equal(response.status, body && path === '/Rooms' ? 201 : 200, text);
    return JSON.parse(text);
  };
  const room = 'sdk-removal';
  const created = await rest('/Rooms', `UniqueName=${room}`);
  const page = await openPage('removed');
  const joined = await page.evaluate((t) => window.T.join(t, { name: 'sdk-removal', video: false }), await h.mintToken(room, 'removed'));
  assert.equal(joined.sid, created.sid);
  const kicked = await rest(`/Rooms/${created.sid}/Participants/removed`, 'Status=disconnected');
  assert.equal(kicked.status, 'disconnected');
  const gone = await waitForEvent(page, 'removed', 'disconnected');
  assert.deepEqual(gone.args, [{ room }, null], 'twilio-video disconnects a removed participant with no error');
  // Nothing before or after it: no reconnecting, no rejoin into the room.
  assert.deepEqual((await events(page)).map((e) => e.event), ['disconnected']);
  assert.equal(await page.evaluate(() => window.T.room.state), 'disconnected');
  const { participants } = await rest(`/Rooms/${created.sid}/Participants?Status=connected`);
  assert.deepEqual(participants, []);
  await h.closeBrowser('removed');
});

test('simulcast: the layer nobody receives is paused at the publisher, resumed for a subscriber who can take it, and a camera published again on the same m-line is received', { timeout: 180_000 }, async () => {
  const room = 'sdk-simulcast';
  const solo = await openPage('simulcast-publisher');
  const viewer = await openPage('simulcast-viewer');
  await solo.evaluate((t) => window.T.join(t, { preferredVideoCodecs: [{ codec: 'VP8', simulcast: true }] }), await h.mintToken(room, 'publisher'));
  /** Which of the publisher's camera encodings are on (lowest first), and
   *  what its outbound streams sent. */
  const layers = () =>
    solo.evaluate(async () => {
      const sender = window.T.room._pc.getSenders().find((s) => s.track && s.track.kind === 'video');
      const bytes = {};
      (await window.T.room._pc.getStats()).forEach((s) => {
        if (s.type === 'outbound-rtp' && s.kind === 'video') bytes[s.rid] = s.bytesSent;
      });
      return { active: sender.getParameters().encodings.map((e) => ({ rid: e.rid, active: e.active })), bytes };
    });
  const first = await layers();
  assert.deepEqual(first.active.map((e) => e.rid), ['h', 'f'], 'two layers for a 480-line camera, lowest first');
  // Alone in the room: nobody receives anything, so the top layer is
  // paused (after 5 s unwanted); the lowest never is.
  await h.waitFor('the top layer paused', 60_000, async () => {
    const now = await layers();
    return { ok: now.active[0].active === true && now.active[1].active === false, detail: now };
  });
  // A subscriber on a wide link wants it again, and climbs to it.
  await viewer.evaluate((t) => window.T.join(t, {}), await h.mintToken(room, 'viewer'));
  await h.waitFor('the top layer resumed', 60_000, async () => {
    const now = await layers();
    return { ok: now.active.every((e) => e.active), detail: now };
  });
  await h.waitFor('the viewer receiving the full-size layer', 90_000, async () => {
    const widths = await viewer.evaluate(async () => {
      const out = [];
      (await window.T.room._pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') out.push({ width: s.frameWidth, frames: s.framesDecoded });
      });
      return out;
    });
    return { ok: widths.length === 1 && widths[0].width === 640 && widths[0].frames > 10, detail: widths };
  });
  // The camera unpublished and a new one published: the m-line (and its
  // layers' SSRCs) is reused, and the viewer sees video again.
  const framesBefore = await viewer.evaluate(async () => {
    let frames = 0;
    (await window.T.room._pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0;
    });
    return frames;
  });
  await solo.evaluate(async () => {
    const { localParticipant } = window.T.room;
    const pub = [...localParticipant.videoTracks.values()][0];
    localParticipant.unpublishTrack(pub.track);
    pub.track.stop();
  });
  await h.waitFor('the viewer told the camera is gone', 30_000, async () => {
    const names = await viewer.evaluate(() => window.T.events.filter((e) => e.event === 'trackUnpublished').map((e) => e.args[0].kind));
    return { ok: names.includes('video'), detail: names };
  });
  await solo.evaluate(async () => {
    const track = await window.Video.createLocalVideoTrack({ name: 'camera2' });
    await window.T.room.localParticipant.publishTrack(track);
  });
  await h.waitFor('the viewer decoding the new camera', 60_000, async () => {
    const frames = await viewer.evaluate(async () => {
      let frames = 0;
      (await window.T.room._pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0;
      });
      return frames;
    });
    return { ok: frames > framesBefore + 20, detail: { framesBefore, frames } };
  });
  const again = await layers();
  assert.equal(again.active.length, 2, `the reused m-line keeps its layers (${JSON.stringify(again)})`);

  for (const page of [solo, viewer]) await page.evaluate(() => window.T.room.disconnect());
  await h.closeBrowser('simulcast-publisher');
  await h.closeBrowser('simulcast-viewer');
});
