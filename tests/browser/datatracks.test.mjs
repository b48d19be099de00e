// Data tracks through the SDK (twilio-video's LocalDataTrack and
// RemoteDataTrack over Confide's relayed data channels, docs/signaling.md
// 6.6): headless Chromiums load web/sdk/test.html and publish, receive and
// unpublish data tracks the way an application written for twilio-video
// does. Every wait is on recorded events (polled, with a generous
// deadline); nothing is timed.
//
//   cargo build --bin confide && node --test tests/browser/datatracks.test.mjs

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

// ---- in-page helpers ---------------------------------------------------------

// Runs in the page: window.D holds the room, the local data tracks by name,
// every track event (reduced to plain data) and every data message received,
// by "<publisher identity>/<track name>".
function installHelpers() {
  const describe = (data) => (typeof data === 'string' ? { s: data } : data instanceof ArrayBuffer ? { b: Array.from(new Uint8Array(data)) } : { other: Object.prototype.toString.call(data) });
  const TRACK_EVENTS = ['trackSubscribed', 'trackUnsubscribed', 'trackPublished', 'trackUnpublished'];
  window.D = {
    room: null,
    local: {},
    events: [],
    /** Room-level trackMessage(data, track, participant). */
    messages: {},
    /** Counts of the same messages seen as RemoteParticipant trackMessage and RemoteDataTrack message. */
    participantLevel: {},
    trackLevel: {},
    /** Problems with the events' arguments (should stay empty). */
    wrong: [],
    dataTrack(options) {
      const track = new window.Video.LocalDataTrack(options);
      this.local[track.name] = track;
      return track;
    },
    watchParticipant(participant) {
      participant.on('trackMessage', (data, track) => {
        const key = `${participant.identity}/${track.name}`;
        this.participantLevel[key] = (this.participantLevel[key] || 0) + 1;
      });
    },
    async join(token, room, { data = [], audio = false } = {}) {
      const tracks = data.map((options) => this.dataTrack(options));
      if (audio) tracks.push(await window.Video.createLocalAudioTrack({ name: 'mic' }));
      const r = await window.Video.connect(token, { name: room, tracks });
      this.room = r;
      r.participants.forEach((p) => this.watchParticipant(p));
      r.on('participantConnected', (p) => this.watchParticipant(p));
      for (const event of TRACK_EVENTS) {
        r.on(event, (...args) => {
          const participant = args[args.length - 1];
          const publication = event === 'trackSubscribed' || event === 'trackUnsubscribed' ? args[1] : args[0];
          this.events.push({ event, who: participant.identity, kind: publication.kind, name: publication.trackName, sid: publication.trackSid });
          if (event === 'trackSubscribed' && args[0].kind === 'data') {
            const track = args[0];
            track.on('message', (data, t) => {
              if (t !== track) this.wrong.push('message: the track argument is not the track');
              const key = `${participant.identity}/${track.name}`;
              this.trackLevel[key] = (this.trackLevel[key] || 0) + 1;
            });
          }
        });
      }
      r.on('trackMessage', (data, track, participant) => {
        if (!(track instanceof window.Video.RemoteDataTrack)) this.wrong.push('trackMessage: not a RemoteDataTrack');
        if (!(participant instanceof window.Video.RemoteParticipant)) this.wrong.push('trackMessage: not a RemoteParticipant');
        if (participant.dataTracks.get(track.sid)?.track !== track) this.wrong.push(`trackMessage: ${track.name} is not in ${participant.identity}'s dataTracks`);
        const key = `${participant.identity}/${track.name}`;
        (this.messages[key] ||= []).push(describe(data));
      });
      return { state: r.state, identity: r.localParticipant.identity };
    },
    /** Numbered messages: strings, ArrayBuffers (i % 10 === 3) and
     * Uint8Array views into a larger buffer (i % 10 === 7). */
    sendNumbered(name, from, count) {
      const track = this.local[name];
      for (let i = from; i < from + count; i++) {
        if (i % 10 === 3) track.send(new Uint8Array([i & 255, i >> 8, 0xab, 0xcd]).buffer);
        else if (i % 10 === 7) track.send(new Uint8Array([9, 9, i & 255, i >> 8, 0xef, 9]).subarray(2, 5));
        else track.send(`${name} #${i}`);
      }
    },
    /** What the room shows of data tracks, as plain data. */
    view() {
      const r = this.room;
      const remote = {};
      for (const p of r.participants.values()) {
        remote[p.identity] = [...p.dataTracks.entries()].map(([key, pub]) => ({
          key,
          sid: pub.trackSid,
          name: pub.trackName,
          kind: pub.kind,
          inTracks: p.tracks.get(key) === pub,
          subscribed: pub.isSubscribed,
          track: pub.track && {
            isRemoteDataTrack: pub.track instanceof window.Video.RemoteDataTrack,
            kind: pub.track.kind,
            name: pub.track.name,
            sid: pub.track.sid,
            ordered: pub.track.ordered,
            reliable: pub.track.reliable,
            maxRetransmits: pub.track.maxRetransmits,
            maxPacketLifeTime: pub.track.maxPacketLifeTime,
            isEnabled: pub.track.isEnabled,
            isSwitchedOff: pub.track.isSwitchedOff,
          },
        }));
      }
      const lp = r.localParticipant;
      const local = [...lp.dataTracks.entries()].map(([key, pub]) => ({
        key,
        sid: pub.trackSid,
        name: pub.trackName,
        kind: pub.kind,
        enabled: pub.isTrackEnabled,
        sameTrack: pub.track === this.local[pub.trackName],
        inTracks: lp.tracks.get(key) === pub,
      }));
      return { remote, local };
    },
  };
}

/** A browser of its own with the helpers loaded; closed when test `t` ends, however it ends. */
async function openPage(t, name) {
  t.after(() => h.closeBrowser(name));
  const page = await h.browser(name);
  await page.goto(`${h.base}/sdk/test.html`);
  await page.waitForFunction(() => window.sdkLoaded === true, null, { timeout: 10_000 });
  await page.evaluate(installHelpers);
  return page;
}

async function join(page, room, identity, options) {
  const token = await h.mintToken(room, identity);
  const joined = await page.evaluate(([t, r, o]) => window.D.join(t, r, o), [token, room, options]);
  assert.deepEqual(joined, { state: 'connected', identity });
}

const view = (page) => page.evaluate(() => window.D.view());

/** Waits until `page` has an event matching `match` (a partial event). */
async function waitForEvent(page, who, match, timeoutMs = 30_000) {
  const { detail } = await h.waitFor(`${who} to get ${JSON.stringify(match)}`, timeoutMs, async () => {
    const all = await page.evaluate(() => window.D.events);
    const found = all.find((e) => Object.entries(match).every(([k, v]) => e[k] === v));
    return { ok: !!found, detail: found || all.slice(-20) };
  });
  return detail;
}

/** Waits until `page` received `count` messages on `key` (identity/track) at room level. */
async function waitForMessages(page, who, key, count, timeoutMs = 30_000) {
  const { detail } = await h.waitFor(`${who} to receive ${count} messages on ${key}`, timeoutMs, async () => {
    const got = await page.evaluate((k) => window.D.messages[k] || [], key);
    return { ok: got.length >= count, detail: got.length >= count ? got : { received: got.length, last: got.slice(-3) } };
  });
  return detail;
}

/** What sendNumbered(name, from, count) sends, as the receiver describes it. */
function numbered(name, from, count) {
  const out = [];
  for (let i = from; i < from + count; i++) {
    if (i % 10 === 3) out.push({ b: [i & 255, i >> 8, 0xab, 0xcd] });
    else if (i % 10 === 7) out.push({ b: [i & 255, i >> 8, 0xef] });
    else out.push({ s: `${name} #${i}` });
  }
  return out;
}

// ---- tests ---------------------------------------------------------------------

test('LocalDataTrack: options, defaults, refusals, and send() while unpublished', { timeout: 60_000 }, async (t) => {
  const page = await openPage(t, 'solo');
  const seen = await page.evaluate(() => {
    const V = window.Video;
    const plain = new V.LocalDataTrack();
    const named = new V.LocalDataTrack({ name: 'cursor', ordered: false, maxRetransmits: 0 });
    const timed = new V.LocalDataTrack({ maxPacketLifeTime: 500 });
    let both;
    try {
      new V.LocalDataTrack({ maxPacketLifeTime: 100, maxRetransmits: 1 });
      both = 'did not throw';
    } catch (err) {
      both = err instanceof TypeError ? 'TypeError' : `${err.name}: ${err.message}`;
    }
    let sent = 'ok';
    try {
      plain.send('nobody listens');
      plain.send(new Uint8Array([1, 2, 3]));
    } catch (err) {
      sent = String(err);
    }
    const fields = (t) => ({ kind: t.kind, ordered: t.ordered, reliable: t.reliable, maxRetransmits: t.maxRetransmits, maxPacketLifeTime: t.maxPacketLifeTime });
    return {
      id: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(plain.id),
      nameIsId: plain.name === plain.id,
      distinct: plain.id !== named.id,
      emitter: typeof plain.on === 'function' && typeof plain.once === 'function',
      plain: fields(plain),
      named: { name: named.name, ...fields(named) },
      timed: fields(timed),
      both,
      sent,
      global: typeof V.RemoteDataTrack,
    };
  });
  assert.deepEqual(seen, {
    id: true,
    nameIsId: true,
    distinct: true,
    emitter: true,
    plain: { kind: 'data', ordered: true, reliable: true, maxRetransmits: null, maxPacketLifeTime: null },
    named: { name: 'cursor', kind: 'data', ordered: false, reliable: false, maxRetransmits: 0, maxPacketLifeTime: null },
    timed: { kind: 'data', ordered: true, reliable: false, maxRetransmits: null, maxPacketLifeTime: 500 },
    both: 'TypeError',
    sent: 'ok',
    global: 'function',
  });
});

test('data tracks between three participants: ordered strings and binary, an unordered lossy track, a late joiner, unpublish and leave', { timeout: 240_000 }, async (t) => {
  const ROOM = 'data-tracks';
  const alice = await openPage(t, 'alice');
  const bob = await openPage(t, 'bob');

  // --- alice publishes audio and a reliable data track with connect();
  // bob publishes nothing but a data track.
  await join(alice, ROOM, 'alice', { audio: true, data: [{ name: 'chat' }] });
  await join(bob, ROOM, 'bob', { data: [{ name: 'status' }] });
  await waitForEvent(bob, 'bob', { event: 'trackSubscribed', who: 'alice', kind: 'data', name: 'chat' });
  await waitForEvent(bob, 'bob', { event: 'trackSubscribed', who: 'alice', kind: 'audio', name: 'mic' });
  await waitForEvent(alice, 'alice', { event: 'trackSubscribed', who: 'bob', kind: 'data', name: 'status' });

  // The maps on both sides, and the publisher knowing the SID the others see.
  const { detail: seen } = await h.waitFor("alice's chat to carry the SID bob sees", 30_000, async () => {
    const a = await view(alice);
    const b = await view(bob);
    const chat = (b.remote.alice || [])[0];
    return { ok: !!chat && a.local.length === 1 && a.local[0].sid === chat.sid && b.local.length === 1 && a.remote.bob?.[0]?.sid === b.local[0].sid, detail: { a, b } };
  });
  const chatSid = seen.b.remote.alice[0].sid;
  assert.match(chatSid, /^MT[0-9a-f]{32}$/);
  assert.deepEqual(seen.a.local, [{ key: chatSid, sid: chatSid, name: 'chat', kind: 'data', enabled: true, sameTrack: true, inTracks: true }]);
  assert.deepEqual(seen.b.remote.alice, [{
    key: chatSid,
    sid: chatSid,
    name: 'chat',
    kind: 'data',
    inTracks: true,
    subscribed: true,
    track: { isRemoteDataTrack: true, kind: 'data', name: 'chat', sid: chatSid, ordered: true, reliable: true, maxRetransmits: null, maxPacketLifeTime: null, isEnabled: true, isSwitchedOff: false },
  }]);
  assert.deepEqual(seen.a.remote.bob.map((t) => [t.name, t.kind, t.subscribed]), [['status', 'data', true]]);
  // Alice's audio is not among her data tracks, and bob has only his data track.
  assert.equal(await alice.evaluate(() => window.D.room.localParticipant.tracks.size), 2);
  assert.deepEqual(await bob.evaluate(() => {
    const lp = window.D.room.localParticipant;
    return [lp.tracks.size, lp.audioTracks.size, lp.videoTracks.size, lp.dataTracks.size];
  }), [1, 0, 0, 1]);

  // --- 200 numbered messages, strings and binary, arrive intact and in order
  await alice.evaluate(() => window.D.sendNumbered('chat', 0, 200));
  const chat = await waitForMessages(bob, 'bob', 'alice/chat', 200);
  assert.deepEqual(chat, numbered('chat', 0, 200));
  // … and the participant and the track emitted each of them too.
  const levels = await bob.evaluate(() => ({ p: window.D.participantLevel['alice/chat'], t: window.D.trackLevel['alice/chat'], wrong: window.D.wrong }));
  assert.deepEqual(levels, { p: 200, t: 200, wrong: [] });

  // The data-only participant sends too.
  await bob.evaluate(() => window.D.sendNumbered('status', 0, 30));
  assert.deepEqual(await waitForMessages(alice, 'alice', 'bob/status', 30), numbered('status', 0, 30));

  // --- publishTrack after connect: an unordered track without retransmissions
  const published = await alice.evaluate(async () => {
    const track = window.D.dataTrack({ name: 'cursor', ordered: false, maxRetransmits: 0 });
    const events = [];
    window.D.room.localParticipant.once('trackPublished', (p) => events.push(p.trackName));
    const publication = await window.D.room.localParticipant.publishTrack(track);
    return { kind: publication.kind, name: publication.trackName, same: publication.track === track, enabled: publication.isTrackEnabled, events, size: window.D.room.localParticipant.dataTracks.size };
  });
  assert.deepEqual(published, { kind: 'data', name: 'cursor', same: true, enabled: true, events: ['cursor'], size: 2 });
  await waitForEvent(bob, 'bob', { event: 'trackPublished', who: 'alice', kind: 'data', name: 'cursor' });
  await waitForEvent(bob, 'bob', { event: 'trackSubscribed', who: 'alice', kind: 'data', name: 'cursor' });
  const cursor = (await view(bob)).remote.alice.find((t) => t.name === 'cursor');
  assert.deepEqual(cursor.track && [cursor.track.ordered, cursor.track.reliable, cursor.track.maxRetransmits, cursor.track.maxPacketLifeTime], [false, false, 0, null]);
  await alice.evaluate(() => {
    for (let i = 0; i < 50; i++) window.D.local.cursor.send(`cursor ${i}`);
  });
  const cursorMessages = await waitForMessages(bob, 'bob', 'alice/cursor', 50);
  assert.deepEqual(cursorMessages.map((m) => m.s).sort(), Array.from({ length: 50 }, (_, i) => `cursor ${i}`).sort());

  // --- carol joins later with audio only: she gets the data tracks already
  // published, and their messages from then on
  const carol = await openPage(t, 'carol');
  await join(carol, ROOM, 'carol', { audio: true });
  for (const [who, name] of [['alice', 'chat'], ['alice', 'cursor'], ['bob', 'status']]) {
    await waitForEvent(carol, 'carol', { event: 'trackSubscribed', who, kind: 'data', name });
  }
  const carolView = await view(carol);
  assert.deepEqual(carolView.remote.alice.map((t) => [t.name, t.subscribed]).sort(), [['chat', true], ['cursor', true]]);
  assert.deepEqual(carolView.remote.bob.map((t) => [t.name, t.sid]), [['status', seen.b.local[0].sid]]);
  assert.equal(carolView.remote.alice.find((t) => t.name === 'chat').sid, chatSid);
  await alice.evaluate(() => window.D.sendNumbered('chat', 200, 40));
  assert.deepEqual(await waitForMessages(carol, 'carol', 'alice/chat', 40), numbered('chat', 200, 40));
  assert.deepEqual(await waitForMessages(bob, 'bob', 'alice/chat', 240), numbered('chat', 0, 240));

  // --- carol's first data track, published after connect (her first data
  // channel: a new offer adds the m=application)
  await carol.evaluate(() => window.D.room.localParticipant.publishTrack(window.D.dataTrack({ name: 'notes' })));
  await waitForEvent(alice, 'alice', { event: 'trackSubscribed', who: 'carol', kind: 'data', name: 'notes' });
  await waitForEvent(bob, 'bob', { event: 'trackSubscribed', who: 'carol', kind: 'data', name: 'notes' });
  await carol.evaluate(() => window.D.sendNumbered('notes', 0, 20));
  assert.deepEqual(await waitForMessages(alice, 'alice', 'carol/notes', 20), numbered('notes', 0, 20));
  assert.deepEqual(await waitForMessages(bob, 'bob', 'carol/notes', 20), numbered('notes', 0, 20));

  // --- alice unpublishes cursor: the others' trackUnsubscribed and
  // trackUnpublished, the map entries gone; sending on it does nothing
  const cursorSid = cursor.sid;
  const unpublished = await alice.evaluate(() => {
    const publication = window.D.room.localParticipant.unpublishTrack(window.D.local.cursor);
    window.D.local.cursor.send('after unpublish');
    return { name: publication.trackName, left: [...window.D.room.localParticipant.dataTracks.values()].map((p) => p.trackName) };
  });
  assert.deepEqual(unpublished, { name: 'cursor', left: ['chat'] });
  for (const [page, who] of [[bob, 'bob'], [carol, 'carol']]) {
    await waitForEvent(page, who, { event: 'trackUnsubscribed', who: 'alice', name: 'cursor', sid: cursorSid });
    await waitForEvent(page, who, { event: 'trackUnpublished', who: 'alice', name: 'cursor', sid: cursorSid });
    const v = await view(page);
    assert.deepEqual(v.remote.alice.map((t) => t.name), ['chat'], `${who}: only chat is left`);
    assert.equal(await page.evaluate((sid) => [...window.D.room.participants.values()].find((p) => p.identity === 'alice').tracks.has(sid), cursorSid), false);
  }
  // chat goes on after cursor is gone.
  await alice.evaluate(() => window.D.sendNumbered('chat', 240, 10));
  assert.deepEqual(await waitForMessages(carol, 'carol', 'alice/chat', 50), numbered('chat', 200, 50));

  // --- alice unpublishes her microphone: her new offer lists no track at
  // all, which unpublishes the microphone and leaves chat alone
  await alice.evaluate(() => window.D.room.localParticipant.unpublishTrack([...window.D.room.localParticipant.audioTracks.values()][0].track));
  for (const [page, who] of [[bob, 'bob'], [carol, 'carol']]) {
    await waitForEvent(page, who, { event: 'trackUnpublished', who: 'alice', kind: 'audio', name: 'mic' });
  }
  await alice.evaluate(() => window.D.sendNumbered('chat', 250, 10));
  assert.deepEqual(await waitForMessages(carol, 'carol', 'alice/chat', 60), numbered('chat', 200, 60));
  assert.deepEqual(await waitForMessages(bob, 'bob', 'alice/chat', 260), numbered('chat', 0, 260));
  for (const page of [bob, carol]) {
    const events = await page.evaluate(() => window.D.events.filter((e) => e.name === 'chat' && e.event !== 'trackSubscribed' && e.event !== 'trackPublished'));
    assert.deepEqual(events, [], 'chat was never unsubscribed nor unpublished');
  }

  // --- bob leaves: his data track goes with him
  const statusSid = seen.b.local[0].sid;
  await bob.evaluate(() => window.D.room.disconnect());
  for (const [page, who] of [[alice, 'alice'], [carol, 'carol']]) {
    await waitForEvent(page, who, { event: 'trackUnsubscribed', who: 'bob', name: 'status', sid: statusSid });
    await h.waitFor(`${who} to see bob leave`, 30_000, async () => {
      const v = await view(page);
      return { ok: !('bob' in v.remote), detail: v };
    });
  }
  assert.deepEqual(await alice.evaluate(() => window.D.wrong), []);
  assert.deepEqual(await carol.evaluate(() => window.D.wrong), []);

});

test('a participant already connected with no data channel gets a data track published later (the server\'s offer adds m=application)', { timeout: 120_000 }, async (t) => {
  const ROOM = 'data-later';
  const alice = await openPage(t, 'alice-later');
  const bob = await openPage(t, 'bob-later');
  // Bob publishes nothing; alice only audio. Once bob receives alice's
  // audio, his connection has long been up, without any m=application.
  await join(bob, ROOM, 'bob', {});
  await join(alice, ROOM, 'alice', { audio: true });
  await waitForEvent(bob, 'bob', { event: 'trackSubscribed', who: 'alice', kind: 'audio', name: 'mic' });
  await alice.evaluate(() => window.D.room.localParticipant.publishTrack(window.D.dataTrack({ name: 'chat' })));
  await waitForEvent(bob, 'bob', { event: 'trackPublished', who: 'alice', kind: 'data', name: 'chat' });
  await waitForEvent(bob, 'bob', { event: 'trackSubscribed', who: 'alice', kind: 'data', name: 'chat' });
  await alice.evaluate(() => window.D.sendNumbered('chat', 0, 20));
  assert.deepEqual(await waitForMessages(bob, 'bob', 'alice/chat', 20), numbered('chat', 0, 20));
});

test("data tracks in the compatibility table behave as it says, on live objects", { timeout: 120_000 }, async (t) => {
  const ROOM = 'data-compat';
  const alice = await openPage(t, 'alice-compat');
  const bob = await openPage(t, 'bob-compat');
  await join(alice, ROOM, 'alice', { data: [{ name: 'chat' }] });
  await join(bob, ROOM, 'bob', {});
  await waitForEvent(bob, 'bob', { event: 'trackSubscribed', who: 'alice', kind: 'data', name: 'chat' });
  const rows = compatRows().filter((r) => r.kind === 'property' || r.kind === 'method');
  // In the page: each row's checks against bob's remote data track and
  // publication, or (local) alice's own.
  const checkRows = ([rows, local]) => {
    const lp = window.D.room.localParticipant;
    const publication = local ? [...lp.dataTracks.values()][0] : [...[...window.D.room.participants.values()][0].dataTracks.values()][0];
    const objects = local
      ? { LocalDataTrack: publication.track, LocalDataTrackPublication: publication }
      : { RemoteDataTrack: publication.track, RemoteDataTrackPublication: publication };
    const out = [];
    for (const row of rows) {
      for (const check of row.checks) {
        const object = objects[check.concrete];
        if (!object) continue;
        const name = `${check.concrete}.${row.member}`;
        if (check.status !== 'works') out.push(`${name} is ${check.status} in the table`);
        else if (!(row.member in object)) out.push(`${name} is missing`);
        else if (row.kind === 'method' && typeof object[row.member] !== 'function') out.push(`${name} is not a function`);
      }
    }
    if (local) publication.setPriority('high'); // kept, no error
    return out;
  };
  assert.deepEqual(await bob.evaluate(checkRows, [rows, false]), []);
  const localFailures = await alice.evaluate(checkRows, [rows, true]);
  assert.deepEqual(localFailures, []);
  const priority = await bob.evaluate(() => {
    const track = [...[...window.D.room.participants.values()][0].dataTracks.values()][0].track;
    const same = track.setPriority('low') === track;
    return [same, track.priority];
  });
  assert.deepEqual(priority, [true, 'low']);

  // --- the same LocalDataTrack published in two rooms at once: one send()
  // reaches both; after leaving one, the other still gets it
  const second = 'data-compat-2';
  const [aliceToken2, bobToken2] = [await h.mintToken(second, 'alice'), await h.mintToken(second, 'bob')];
  // (bob publishes a data track there too, so his connection has its data
  // channel transport from the start: the test below covers getting it later.)
  await bob.evaluate(async ([t, name]) => {
    window.D.room2 = await window.Video.connect(t, { name, tracks: [new window.Video.LocalDataTrack({ name: 'notes' })] });
    window.D.messages2 = [];
    window.D.room2.on('trackMessage', (data, track, participant) => window.D.messages2.push(`${participant.identity}/${track.name}: ${data}`));
  }, [bobToken2, second]);
  await alice.evaluate(async ([t, name]) => {
    window.D.room2 = await window.Video.connect(t, { name, tracks: [window.D.local.chat] });
  }, [aliceToken2, second]);
  await h.waitFor('bob to be subscribed to alice\'s chat in the second room', 30_000, async () => {
    const subscribed = await bob.evaluate(() => [...window.D.room2.participants.values()].flatMap((p) => [...p.dataTracks.values()]).filter((p) => p.isSubscribed).map((p) => p.trackName));
    return { ok: subscribed.includes('chat'), detail: subscribed };
  });
  await alice.evaluate(() => window.D.local.chat.send('to both rooms'));
  await waitForMessages(bob, 'bob', 'alice/chat', 1);
  await h.waitFor('bob to get the message in the second room', 30_000, async () => {
    const got = await bob.evaluate(() => window.D.messages2);
    return { ok: got.length >= 1, detail: got };
  });
  await alice.evaluate(() => {
    window.D.room2.disconnect();
    window.D.local.chat.send('to the first room');
  });
  const first = await waitForMessages(bob, 'bob', 'alice/chat', 2);
  assert.deepEqual(first, [{ s: 'to both rooms' }, { s: 'to the first room' }]);
  assert.deepEqual(await bob.evaluate(() => window.D.messages2), ['alice/chat: to both rooms']);
  await bob.evaluate(() => window.D.room2.disconnect());
});

test('after the server restarts, data tracks are published and subscribed again on the new connections', { timeout: 180_000 }, async (t) => {
  const ROOM = 'data-restart';
  const alice = await openPage(t, 'alice-restart');
  const bob = await openPage(t, 'bob-restart');
  await join(alice, ROOM, 'alice', { data: [{ name: 'chat' }] });
  await join(bob, ROOM, 'bob', { audio: true, data: [{ name: 'status' }] });
  await waitForEvent(bob, 'bob', { event: 'trackSubscribed', who: 'alice', kind: 'data', name: 'chat' });
  await waitForEvent(alice, 'alice', { event: 'trackSubscribed', who: 'bob', kind: 'data', name: 'status' });
  const before = (await view(bob)).remote.alice[0].sid;
  await alice.evaluate(() => window.D.sendNumbered('chat', 0, 10));
  await waitForMessages(bob, 'bob', 'alice/chat', 10);
  for (const page of [alice, bob]) {
    await page.evaluate(() => {
      window.D.reconnected = false;
      window.D.room.on('reconnected', () => {
        window.D.reconnected = true;
      });
    });
  }

  await h.restart();

  // A new process: both rejoin as new participants; bob gets alice's chat
  // under a new SID, and alice's publication takes it.
  const { detail } = await h.waitFor('bob to be subscribed to alice\'s chat again', 60_000, async () => {
    const [a, b] = [await view(alice), await view(bob)];
    const reconnected = await Promise.all([alice, bob].map((p) => p.evaluate(() => window.D.reconnected)));
    const chat = (b.remote.alice || [])[0];
    const ok = reconnected.every(Boolean) && !!chat && chat.subscribed && chat.sid !== before && a.local[0]?.sid === chat.sid;
    return { ok, detail: { a, b, reconnected } };
  });
  assert.deepEqual(detail.a.local.map((t) => [t.name, t.key === t.sid]), [['chat', true]]);
  assert.deepEqual(detail.b.remote.alice.map((t) => t.name), ['chat']);
  await alice.evaluate(() => window.D.sendNumbered('chat', 10, 20));
  const all = await waitForMessages(bob, 'bob', 'alice/chat', 30);
  assert.deepEqual(all, numbered('chat', 0, 30));
  // … and the other way: bob's data track is alice's again.
  await h.waitFor('alice to be subscribed to bob\'s status again', 30_000, async () => {
    const a = await view(alice);
    const status = (a.remote.bob || [])[0];
    return { ok: !!status && status.subscribed, detail: a };
  });
  await bob.evaluate(() => window.D.sendNumbered('status', 0, 5));
  assert.deepEqual(await waitForMessages(alice, 'alice', 'bob/status', 5), numbered('status', 0, 5));
});
