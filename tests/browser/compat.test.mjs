// twilio-video's API on live objects: every row of the compatibility table
// (scripts/sdk-compat.mjs, from twilio-video's type definitions) is checked
// on the objects a two-person call gives an application. A member the table
// says works exists (and a property reads without throwing); one it says is
// unsupported throws a TwilioError naming it, never a TypeError. Also:
// twilio-video's error table, and its 53105 wording.
//
//   cargo build --bin confide && node --test tests/browser/compat.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.mjs';
import { compatRows } from '../../scripts/sdk-compat.mjs';

const h = new Harness();

before(async () => {
  await h.start();
});

after(async () => {
  await h.teardown();
});

async function join(name) {
  const page = await h.browser(name);
  await page.goto(`${h.base}/sdk/test.html`);
  await page.waitForFunction(() => window.sdkLoaded === true, null, { timeout: 10_000 });
  const token = await h.mintToken('compat', name);
  await page.evaluate(async (t) => {
    window.room = await window.Video.connect(t, { name: 'compat' });
  }, token);
  return page;
}

test('every member of twilio-video the table lists behaves as the table says, on live objects', { timeout: 120_000 }, async () => {
  const alice = await join('alice');
  const bob = await join('bob');
  await h.waitFor('alice to subscribe to both of bob\'s tracks', 30_000, async () => {
    const subscribed = await alice.evaluate(() => {
      const bob = [...window.room.participants.values()][0];
      return bob ? [...bob.tracks.values()].filter((p) => p.track).length : 0;
    });
    return { ok: subscribed === 2, detail: subscribed };
  });
  const rows = compatRows().filter((r) => r.kind !== 'event');
  const failures = await alice.evaluate((rows) => {
    const { Video, room } = /** @type {any} */ (window);
    const local = room.localParticipant;
    const remote = [...room.participants.values()][0];
    const first = (map) => [...map.values()][0];
    const objects = {
      Room: room,
      LocalParticipant: local,
      RemoteParticipant: remote,
      LocalAudioTrack: first(local.audioTracks).track,
      LocalVideoTrack: first(local.videoTracks).track,
      RemoteAudioTrack: first(remote.audioTracks).track,
      RemoteVideoTrack: first(remote.videoTracks).track,
      LocalAudioTrackPublication: first(local.audioTracks),
      LocalVideoTrackPublication: first(local.videoTracks),
      RemoteAudioTrackPublication: first(remote.audioTracks),
      RemoteVideoTrackPublication: first(remote.videoTracks),
      TwilioError: new Video.TwilioError(53000),
    };
    const refusedProperly = (fn, member) => {
      try {
        fn();
      } catch (err) {
        return err instanceof Video.TwilioError && err.code === 0 && err.message.includes(member) ? null : `threw ${err && err.name}: ${err && err.message}`;
      }
      return 'did not throw';
    };
    const out = [];
    for (const row of rows) {
      if (row.kind === 'export') {
        const there = row.member in Video;
        if (row.status === 'works' && !there) out.push(`Video.${row.member} is not exported`);
        if (row.status === 'unsupported') {
          const why = there ? refusedProperly(() => Video[row.member]('token'), `Video.${row.member}`) : 'is not exported';
          if (why) out.push(`Video.${row.member}: ${why}`);
        }
        continue;
      }
      for (const check of row.checks) {
        const object = objects[check.concrete];
        if (!object) continue; // data tracks (datatracks.test.mjs checks them) and preflight: no such objects here
        const name = `${check.concrete}.${row.member}`;
        if (check.status === 'works') {
          if (!(row.member in object)) out.push(`${name} is missing`);
          else if (row.kind === 'method' && typeof object[row.member] !== 'function') out.push(`${name} is not a function`);
          else if (row.kind === 'property') {
            try {
              void object[row.member];
            } catch (err) {
              out.push(`${name} throws on read: ${err}`);
            }
          }
        } else if (check.status === 'unsupported' && row.kind === 'method') {
          const why = typeof object[row.member] === 'function' ? refusedProperly(() => object[row.member](), `${row.owner}.${row.member}`) : 'is not a function';
          if (why) out.push(`${name}: ${why}`);
        } else if (check.status !== 'unsupported') out.push(`${name} is ${check.status} in the table`);
      }
    }
    return out;
  }, rows);
  assert.deepEqual(failures, []);

  // getStats(): twilio-video's StatsReport[], one per peer connection, each
  // track's stats under its publication's SID.
  const { detail: stats } = await h.waitFor('alice\'s StatsReport to count bob\'s media', 30_000, async () => {
    const seen = await alice.evaluate(async () => {
      const reports = await window.room.getStats();
      const [report] = reports;
      const bob = [...window.room.participants.values()][0];
      const sids = (map) => [...map.values()].map((p) => p.trackSid);
      const local = window.room.localParticipant;
      const pick = (list, field) => list.map((s) => ({ sid: s.trackSid, counted: s[field] > 0, ssrc: typeof s.ssrc, codec: s.codec }));
      return {
        reports: reports.length,
        id: typeof report.peerConnectionId,
        localAudio: pick(report.localAudioTrackStats, 'packetsSent'),
        localVideo: pick(report.localVideoTrackStats, 'packetsSent'),
        remoteAudio: pick(report.remoteAudioTrackStats, 'packetsReceived'),
        remoteVideo: pick(report.remoteVideoTrackStats, 'packetsReceived'),
        remoteLevel: report.remoteAudioTrackStats.map((s) => s.audioLevel === null || (s.audioLevel >= 0 && s.audioLevel <= 32767)),
        dimensions: report.remoteVideoTrackStats.map((s) => s.dimensions && s.dimensions.width > 0),
        expected: { localAudio: sids(local.audioTracks), localVideo: sids(local.videoTracks), remoteAudio: sids(bob.audioTracks), remoteVideo: sids(bob.videoTracks) },
      };
    });
    const ok = ['localAudio', 'localVideo', 'remoteAudio', 'remoteVideo'].every((k) => seen[k].length === 1 && seen[k][0].counted && seen[k][0].sid === seen.expected[k][0])
      && seen.dimensions.every(Boolean);
    return { ok, detail: seen };
  });
  assert.equal(stats.reports, 1);
  assert.equal(stats.id, 'string');
  assert.deepEqual(stats.remoteLevel, [true]);
  assert.deepEqual(stats.remoteVideo.map((s) => [s.ssrc, s.codec]), [['string', 'VP8']]);

  // A publisher knows its tracks by the SIDs the others see.
  await h.waitFor('alice\'s publications to carry the SIDs bob sees', 30_000, async () => {
    const own = await alice.evaluate(() => [...window.room.localParticipant.tracks.entries()].map(([key, p]) => [p.trackName, p.trackSid, key === p.trackSid]).sort());
    const seen = await bob.evaluate(() => {
      const alice = [...window.room.participants.values()][0];
      return [...alice.tracks.values()].map((p) => [p.trackName, p.trackSid, true]).sort();
    });
    return { ok: JSON.stringify(own) === JSON.stringify(seen) && own.length === 2, detail: { own, seen } };
  });
  await h.closeBrowser('alice');
  await h.closeBrowser('bob');
});

test("TwilioError carries twilio-video's names and messages for every code it knows", { timeout: 60_000 }, async () => {
  const page = await h.browser('errors');
  await page.goto(`${h.base}/sdk/test.html`);
  await page.waitForFunction(() => window.sdkLoaded === true, null, { timeout: 10_000 });
  const seen = await page.evaluate(() => {
    const { TwilioError } = /** @type {any} */ (window).Video;
    return [53105, 53118, 53205, 53407, 53501, 20107].map((code) => {
      const err = new TwilioError(code);
      return [code, err.name, err.message, err instanceof Error];
    });
  });
  assert.deepEqual(seen, [
    [53105, 'RoomMaxParticipantsExceededError', 'Room contains too many Participants', true],
    [53118, 'RoomCompletedError', 'Room completed', true],
    [53205, 'ParticipantDuplicateIdentityError', 'Participant disconnected because of duplicate identity', true],
    [53407, 'MediaDTLSTransportFailedError', 'Media connection failed due to DTLS handshake failure', true],
    [53501, 'ConfigurationAcquireTurnFailedError', 'Unable to acquire TURN credentials', true],
    [20107, 'AccessTokenSignatureInvalidError', 'Invalid Access Token signature', true],
  ]);
  await h.closeBrowser('errors');
});

test('connect() returns a CancelablePromise, and the LocalParticipant emits disconnected', { timeout: 60_000 }, async () => {
  const page = await h.browser('cancel');
  await page.goto(`${h.base}/sdk/test.html`);
  await page.waitForFunction(() => window.sdkLoaded === true, null, { timeout: 10_000 });
  const token = await h.mintToken('compat-cancel', 'cancel');
  // Cancelled at once: rejects with twilio-video's Error('Canceled'), and
  // cancel() returns the same promise.
  const canceled = await page.evaluate(async (t) => {
    const pending = window.Video.connect(t, { name: 'compat-cancel', video: false });
    const same = pending.cancel() === pending;
    try {
      await pending;
      return { same, outcome: 'resolved' };
    } catch (err) {
      return { same, outcome: err.message, twilio: err instanceof window.Video.TwilioError };
    }
  }, token);
  assert.deepEqual(canceled, { same: true, outcome: 'Canceled', twilio: false });
  // Nobody was left in the room: a second connect finds it empty.
  const seen = await page.evaluate(async (t) => {
    const room = await window.Video.connect(t, { name: 'compat-cancel', video: false });
    const others = room.participants.size;
    const events = [];
    room.localParticipant.on('disconnected', (p) => events.push(['disconnected', p === room.localParticipant, p.state]));
    const state = room.state;
    room.disconnect();
    return { others, events, state };
  }, token);
  assert.deepEqual(seen, { others: 0, events: [['disconnected', true, 'disconnected']], state: 'connected' });
  await h.closeBrowser('cancel');
});

test('a script-tag page gets Twilio.Video (web/sdk/twilio-video.min.js) and joins a room with it', { timeout: 60_000 }, async () => {
  const page = await h.browser('script-tag');
  // A page of the server's own with no module of the SDK loaded.
  await page.goto(`${h.base}/sdk/test.html`);
  await page.evaluate(() => {
    delete window.Video;
  });
  await page.addScriptTag({ url: '/sdk/twilio-video.min.js' });
  const token = await h.mintToken('compat-global', 'script-tag');
  const joined = await page.evaluate(async (t) => {
    const Video = window.Twilio.Video;
    const room = await Video.connect(t, { name: 'compat-global', video: false });
    const out = { state: room.state, name: room.name, version: Video.version, error: new Video.TwilioError(53118).name, logger: typeof Video.Logger.getLogger };
    room.disconnect();
    return out;
  }, token);
  assert.deepEqual(joined, { state: 'connected', name: 'compat-global', version: '1.0.0', error: 'RoomCompletedError', logger: 'function' });
  await h.closeBrowser('script-tag');
});
