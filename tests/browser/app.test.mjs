// The clinic's web app end to end, with the demo accounts of a fresh server:
// a patient follows the reminder link signed out, signs in, waits; the
// psychologist, told on the dashboard that the patient waits, joins from
// it and lets them in (a second dashboard tab sees the waiting end); they
// see and hear each other (getStats), see each other mute and turn the
// camera off, a reload rejoins, leaving goes back to the dashboard. A
// broken camera joins with audio only and turns the camera on later. Then:
// the join button against the clock, copy-link, the pre-call check, and
// strangers turned away.
// Screenshots go to target/screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.mjs';

const h = new Harness();
const PHONE = { width: 360, height: 740 };

before(async () => {
  await h.start();
});

after(async () => {
  await h.teardown();
});

const call = (path, options) => h.call(path, options);

const login = (email, password) => h.login(email, password);

const videoState = (page) => page.evaluate(() => window.confideVideo && window.confideVideo.state);

/** Inbound media on a video page, from the peer connection's getStats(). */
async function inbound(page) {
  return page.evaluate(async () => {
    const room = window.confideVideo && window.confideVideo.room;
    if (!room) return { stats: [] };
    const pc = room._pc || (room._peer && room._peer.pc);
    if (!pc) return { stats: [] };
    const report = await pc.getStats();
    const stats = [];
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') stats.push({ kind: s.kind, framesDecoded: s.framesDecoded, packetsReceived: s.packetsReceived });
    });
    return { stats };
  });
}

function flowing({ stats }) {
  return stats.some((s) => s.kind === 'video' && s.framesDecoded > 0) && stats.some((s) => s.kind === 'audio' && s.packetsReceived > 0);
}

const waitState = (page, name, state, timeout) => h.waitVideoState(page, name, state, timeout);

async function waitMedia(page, name) {
  await h.waitFor(`${name} to receive audio and video`, 30_000, async () => {
    const s = await inbound(page);
    return { ok: flowing(s), detail: s };
  });
}

/** Every control has a name, and nothing is wider than the screen. */
async function usable(page, what) {
  const problems = await page.evaluate(() => {
    const out = [];
    for (const node of document.querySelectorAll('button, a[href], input, select')) {
      if (node.closest('[hidden]') || node.type === 'hidden') continue;
      const labelled =
        (node.labels && node.labels.length > 0) || node.getAttribute('aria-label') || (node.textContent || '').trim();
      if (!labelled) out.push(`unlabelled ${node.tagName.toLowerCase()}#${node.id}`);
    }
    if (document.documentElement.scrollWidth > window.innerWidth + 1) {
      out.push(`page is ${document.documentElement.scrollWidth}px wide in a ${window.innerWidth}px window`);
    }
    return out;
  });
  assert.deepEqual(problems, [], what);
}

test('patient and psychologist meet through the link and the dashboard', { timeout: 180_000 }, async () => {
  const adminToken = await login(h.accounts.admin.email, h.accounts.admin.password);
  const [demo] = (await call('/api/appointments/', { token: adminToken })).body;
  const link = `/video-session/${demo.video_room_id}`;

  // The patient opens the reminder link on a phone, signed out.
  const patient = await h.browser('patient', { viewport: PHONE });
  await patient.goto(`${h.base}${link}`);
  await patient.waitForURL(/\/login\.html\?next=/);
  await usable(patient, 'login page');
  await h.signIn(patient, 'patient', link);
  await patient.waitForURL(`${h.base}${link}`);
  // The clinic's waiting room: the patient sees their own camera and waits.
  await waitState(patient, 'patient', 'lobby');
  assert.match(await patient.textContent('#message-text'), /Dr\. Smith will let you in shortly/);

  // The psychologist's dashboard says who waits, on the session's card.
  // Its tab is made a background one there, with notifications allowed
  // and recorded: the patient arriving is a notification too.
  const doctor = await h.browser('doctor');
  await h.recordNotifications(doctor, { path: '/', hidden: true });
  await h.signIn(doctor, 'psychologist');
  await doctor.waitForURL(`${h.base}/`);
  const join = `#join-${demo.id}`;
  await h.waitFor('the join button to be live', 10_000, async () => ({ ok: await doctor.isEnabled(join), detail: null }));
  const waitingLine = `#waiting-${demo.id}`;
  await h.waitFor("the card to say that the patient waits", 20_000, async () => {
    const text = await doctor.textContent(waitingLine).catch(() => null);
    return { ok: /^Pat is waiting/.test(text || '') && (await doctor.isVisible(waitingLine)), detail: text };
  });
  const doctorToken = await login(h.accounts.psychologist.email, h.accounts.psychologist.password);
  const room = (await call(`/api/appointments/${demo.id}/waiting-room/`, { token: doctorToken })).body;
  const me = (await call('/api/me', { token: doctorToken })).body;
  const since = await doctor.evaluate(
    ([iso, timeZone]) => new Intl.DateTimeFormat(undefined, { timeStyle: 'short', timeZone }).format(new Date(iso)),
    [room.waiting_since, me.time_zone],
  );
  assert.equal(await doctor.textContent(waitingLine), `Pat is waiting — joined the waiting room at ${since}`);
  assert.equal(await doctor.getAttribute(waitingLine, 'role'), 'status');
  assert.equal((await doctor.textContent(join)).trim(), 'Join to let Pat in');
  assert.equal(await doctor.getAttribute(`li[data-appointment-id="${demo.id}"]`, 'data-waiting'), '');
  assert.match(await doctor.title(), /^\(1\) Pat is waiting — /);
  assert.deepEqual(await doctor.evaluate(() => window.shown), [{ title: 'Pat is waiting', body: 'Open the session to let them in.' }]);
  await usable(doctor, 'psychologist dashboard');
  await doctor.screenshot({ path: `${h.artifacts}/dashboard-psychologist.png`, fullPage: true });
  // On a phone the line wraps inside the card.
  await doctor.setViewportSize({ width: 390, height: 844 });
  await usable(doctor, 'psychologist dashboard on a phone, a patient waiting');
  const edges = await doctor.$eval(waitingLine, (line) => ({ line: line.getBoundingClientRect().right, card: line.closest('li').getBoundingClientRect().right, window: window.innerWidth }));
  assert.ok(edges.line <= edges.card && edges.card <= edges.window, JSON.stringify(edges));
  await doctor.screenshot({ path: `${h.artifacts}/dashboard-psychologist-waiting-phone.png`, fullPage: true });
  await doctor.setViewportSize({ width: 1280, height: 800 });
  // A second dashboard tab stays, to see the waiting end.
  const board = await h.contexts.get('doctor').newPage();
  await board.goto(`${h.base}/`);
  await h.waitFor('the second tab to say that the patient waits', 20_000, async () => ({
    ok: /^Pat is waiting/.test((await board.textContent(waitingLine).catch(() => null)) || ''),
    detail: await board.textContent(waitingLine).catch(() => null),
  }));
  // The patient closes the session's page: the card stops saying they
  // wait, and says it again when they come back.
  await patient.goto(`${h.base}/`);
  await h.waitFor('the card to stop saying that the patient waits', 20_000, async () => {
    const text = await board.textContent(waitingLine);
    return { ok: text === '', detail: text };
  });
  await patient.goto(`${h.base}${link}`);
  await waitState(patient, 'patient', 'lobby');
  await h.waitFor('the card to say again that the patient waits', 20_000, async () => {
    const text = await board.textContent(waitingLine);
    return { ok: /^Pat is waiting/.test(text || ''), detail: text };
  });
  await doctor.click(join);
  await doctor.waitForURL(`${h.base}${link}`);

  // The psychologist sees who waits, leaves a note, and lets them in.
  await h.waitFor('the doctor to see the patient waiting', 20_000, async () => ({
    ok: await doctor.isVisible('#lobby-admit'),
    detail: await doctor.textContent('#lobby-text').catch(() => null),
  }));
  assert.match(await doctor.textContent('#lobby-text'), /^Pat is waiting/);
  await doctor.fill('#lobby-note', "I'm running 2 minutes late, sorry.");
  await doctor.click('#lobby-note-form button[type="submit"]');
  await h.waitFor('the patient to read the note', 20_000, async () => {
    const note = await patient.textContent('#message-note');
    return { ok: /Note from Dr\. Smith: .I'm running 2 minutes late, sorry\./.test(note || '') && (await patient.isVisible('#message-note')), detail: note };
  });
  await usable(doctor, 'video page with the waiting room panel');
  await doctor.click('#lobby-admit');
  // Let in: the dashboard's card and title say nothing more.
  await h.waitFor('the dashboard to stop saying that the patient waits', 20_000, async () => {
    const text = await board.textContent(waitingLine);
    const label = (await board.textContent(join)).trim();
    const title = await board.title();
    return { ok: text === '' && label === 'Join Video Session' && !title.startsWith('('), detail: { text, label, title } };
  });
  assert.equal(await board.getAttribute(`li[data-appointment-id="${demo.id}"]`, 'data-waiting'), null);
  await board.close();

  await waitState(doctor, 'doctor', 'in-call');
  await waitState(patient, 'patient', 'in-call');
  await waitMedia(doctor, 'doctor');
  await waitMedia(patient, 'patient');
  await usable(patient, 'video page on a phone');
  // "Test camera & mic" in a call says it would leave, and stays on "Stay".
  await patient.click('#check');
  assert.equal(await patient.isVisible('#check-confirm'), true);
  assert.equal(await videoState(patient), 'in-call');
  assert.equal(patient.url(), `${h.base}${link}`);
  await patient.click('#check-stay');
  assert.equal(await patient.isVisible('#check-confirm'), false);
  await patient.screenshot({ path: `${h.artifacts}/call-in-progress-phone.png` });
  await doctor.screenshot({ path: `${h.artifacts}/call-in-progress.png` });

  // Mute and camera off show on the other side, and back.
  const remote = (attr) => doctor.getAttribute('#remote', attr);
  await patient.click('#mic');
  await h.waitFor('the doctor to see the patient muted', 10_000, async () => ({ ok: (await remote('data-mic-off')) === 'true', detail: await remote('data-mic-off') }));
  assert.match(await doctor.textContent('#remote-mic-off'), /Pat Patient is muted/);
  await patient.click('#camera');
  await h.waitFor('the doctor to see the camera off', 10_000, async () => ({ ok: (await remote('data-camera-off')) === 'true', detail: await remote('data-camera-off') }));
  assert.equal(await doctor.isVisible('#remote-camera-off'), true);
  await patient.click('#mic');
  await patient.click('#camera');
  await h.waitFor('the doctor to see mic and camera back', 10_000, async () => ({
    ok: (await remote('data-mic-off')) === 'false' && (await remote('data-camera-off')) === 'false',
    detail: [await remote('data-mic-off'), await remote('data-camera-off')],
  }));

  // A reload rejoins.
  await doctor.reload();
  await waitState(doctor, 'doctor after reload', 'in-call', 30_000);
  await waitMedia(doctor, 'doctor after reload');

  // Leaving goes back to the dashboard; the other side waits again.
  await patient.click('#leave');
  await patient.waitForURL(`${h.base}/`);
  await waitState(doctor, 'doctor', 'waiting');
  assert.match(await doctor.textContent('#message-text'), /Waiting for Pat Patient/);
});

test('the join button follows the clock; copy link; the check page; strangers are turned away', { timeout: 120_000 }, async () => {
  const adminToken = await login(h.accounts.admin.email, h.accounts.admin.password);
  const [demo] = (await call('/api/appointments/', { token: adminToken })).body;
  const people = {};
  for (const [key, name, role] of [['jones', 'Dr. Jones', 'psychologist'], ['lee', 'Dr. Lee', 'psychologist'], ['ana', 'Ana Early', 'patient'], ['bo', 'Bo Soon', 'patient']]) {
    const email = `${key}@clinic.test`;
    const { status, body } = await call('/api/users/', { token: adminToken, method: 'POST', body: { email, name, role, password: 'correct horse battery', time_zone: 'America/Sao_Paulo' } });
    assert.equal(status, 201, JSON.stringify(body));
    people[key] = { id: body.id, email, password: 'correct horse battery' };
  }
  const book = async (who, psychologist, minutes) => {
    const token = await login(people[who].email, people[who].password);
    const at = new Date(Date.now() + minutes * 60_000).toISOString();
    const { status, body } = await call('/api/appointments/', { token, method: 'POST', body: { psychologist_id: people[psychologist].id, appointment_date: at, duration_minutes: 30 } });
    assert.equal(status, 201, JSON.stringify(body));
    return body;
  };
  const early = await book('ana', 'jones', 20);
  const soon = await book('bo', 'lee', 14);
  const signInAs = async (page, who) => {
    await page.goto(`${h.base}/login.html`);
    await page.fill('#email', people[who].email);
    await page.fill('#password', people[who].password);
    await page.click('button[type=submit]');
    await page.waitForURL(`${h.base}/`);
  };

  // 20 minutes before (the room opens 15 before): disabled, with a
  // countdown; 6 minutes on, live. The page's clock is Playwright's, set
  // from the appointment's join-opens time, so how long signing in takes
  // on a busy machine does not move the countdown.
  const opens = Date.parse(early.join_opens_at);
  const ana = await h.browser('ana', { viewport: PHONE });
  await ana.clock.install({ time: opens - 10 * 60_000 });
  await signInAs(ana, 'ana');
  const anaJoin = `#join-${early.id}`;
  await ana.waitForSelector(anaJoin);
  // Within a second after "5 minutes to go", stopped there.
  await ana.clock.pauseAt(opens - 5 * 60_000 + 500);
  assert.equal(await ana.isDisabled(anaJoin), true);
  assert.match(await ana.textContent(`#join-hint-${early.id}`), /Opens in 4:5\d|Opens in 5:00/);
  await usable(ana, 'patient dashboard on a phone');
  await ana.screenshot({ path: `${h.artifacts}/dashboard-patient-phone.png`, fullPage: true });
  await ana.clock.fastForward('06:00');
  await h.waitFor('the join button to go live', 5_000, async () => ({ ok: await ana.isEnabled(anaJoin), detail: await ana.textContent(`#join-hint-${early.id}`) }));

  // Too early on the video page itself: told when the room opens.
  const anaCall = await h.browser('ana-call');
  await anaCall.goto(`${h.base}/login.html`);
  await anaCall.fill('#email', people.ana.email);
  await anaCall.fill('#password', people.ana.password);
  await anaCall.click('button[type=submit]');
  await anaCall.waitForURL(`${h.base}/`);
  await anaCall.goto(`${h.base}/video-session/${early.video_room_id}`);
  await waitState(anaCall, 'ana', 'too-early');
  assert.match(await anaCall.textContent('#message-text'), /room opens at .* \(in \d+:\d\d\)/);

  // 14 minutes before: live at once; the link copies.
  const bo = await h.browser('bo');
  await h.contexts.get('bo').grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.base });
  await signInAs(bo, 'bo');
  const boJoin = `#join-${soon.id}`;
  await bo.waitForSelector(boJoin);
  assert.equal(await bo.isEnabled(boJoin), true);
  await bo.click(`#copy-${soon.id}`);
  assert.equal(await bo.evaluate(() => navigator.clipboard.readText()), soon.meeting_url);
  assert.match(soon.meeting_url, new RegExp(`/video-session/${soon.video_room_id}$`));

  // The pre-call check: a preview, a moving meter, the fake devices.
  await bo.goto(`${h.base}/pre-call?room=${soon.video_room_id}`);
  await h.waitFor('the microphone meter to move', 15_000, async () => {
    const level = await bo.evaluate(() => window.confideCheck.level);
    return { ok: level > 0, detail: level };
  });
  assert.ok((await bo.$$eval('#camera option', (o) => o.length)) >= 1);
  assert.equal(await bo.getAttribute('#back', 'href'), `/video-session/${soon.video_room_id}`);
  await usable(bo, 'pre-call check');

  // A stranger following someone else's link, both addresses.
  await bo.goto(`${h.base}/video-session/${demo.video_room_id}`);
  await waitState(bo, 'stranger', 'not-yours');
  assert.match(await bo.textContent('#message-text'), /isn't one of your appointments/);
  const { status } = await call(`/api/appointments/video-token/${demo.id}/`, { token: await login(people.bo.email, people.bo.password) });
  assert.equal(status, 404, "the stranger's token request is refused");
  await bo.goto(`${h.base}/appointments/${demo.id}/video`);
  await waitState(bo, 'stranger', 'not-yours');
});

test('a patient whose camera is broken joins with audio only, then turns the camera on', { timeout: 180_000 }, async () => {
  // The calls of the first test are over; their browsers go.
  await h.closeBrowser('patient');
  await h.closeBrowser('doctor');
  const adminToken = await login(h.accounts.admin.email, h.accounts.admin.password);
  const [demo] = (await call('/api/appointments/', { token: adminToken })).body;
  const link = `/video-session/${demo.video_room_id}`;

  // The patient's camera fails as a camera held by another app does
  // (NotReadableError) until the test "frees" it.
  const patient = await h.browser('patient-no-camera');
  await patient.addInitScript(() => {
    const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      if (constraints && constraints.video && !window.cameraFreed) {
        throw new DOMException('Could not start video source', 'NotReadableError');
      }
      return real(constraints);
    };
  });
  await h.signIn(patient, 'patient', link);
  await patient.waitForURL(`${h.base}${link}`);
  await waitState(patient, 'patient (audio only)', 'waiting');
  assert.equal(await patient.isVisible('#local-camera-off'), true);
  assert.match(await patient.textContent('#local-camera-off'), /camera could not start .*audio only/i);
  assert.equal(await patient.textContent('#camera'), 'Camera on');

  const doctor = await h.browser('doctor-audio');
  await h.signIn(doctor, 'psychologist', link);
  await doctor.waitForURL(`${h.base}${link}`);
  await waitState(doctor, 'doctor', 'in-call');
  await h.waitFor("the doctor to hear the patient, who has no video", 30_000, async () => {
    const s = await inbound(doctor);
    return { ok: s.stats.some((x) => x.kind === 'audio' && x.packetsReceived > 0), detail: s };
  });
  assert.equal(await doctor.getAttribute('#remote', 'data-camera-off'), 'true');

  // The camera works again: Camera on publishes it, and the doctor sees it.
  await patient.evaluate(() => (window.cameraFreed = true));
  await patient.click('#camera');
  await waitMedia(doctor, 'doctor, after the patient turned the camera on');
  await h.waitFor('the doctor to see the camera on', 10_000, async () => ({
    ok: (await doctor.getAttribute('#remote', 'data-camera-off')) === 'false',
    detail: await doctor.getAttribute('#remote', 'data-camera-off'),
  }));
  assert.equal(await patient.isVisible('#local-camera-off'), false);

  // "Join with audio only" is a choice too.
  await doctor.goto(`${h.base}${link}?audio=only`);
  await waitState(doctor, 'doctor rejoining with audio only', 'in-call', 30_000);
  assert.match(await doctor.textContent('#local-camera-off'), /joined with audio only/);
  await h.closeBrowser('patient-no-camera');
  await h.closeBrowser('doctor-audio');
});

test('the psychologist removes the patient from the call; coming back, they wait again', { timeout: 180_000 }, async () => {
  const adminToken = await login(h.accounts.admin.email, h.accounts.admin.password);
  const [demo] = (await call('/api/appointments/', { token: adminToken })).body;
  const link = `/video-session/${demo.video_room_id}`;
  const doctor = await h.browser('doctor-remove');
  await h.signIn(doctor, 'psychologist', link);
  await doctor.waitForURL(`${h.base}${link}`);
  await waitState(doctor, 'doctor', 'waiting');
  // Let in by the earlier tests: the patient walks straight in.
  const patient = await h.browser('patient-removed');
  await h.signIn(patient, 'patient', link);
  await patient.waitForURL(`${h.base}${link}`);
  await waitState(patient, 'patient', 'in-call', 30_000);
  await h.waitFor('the panel to offer removal', 20_000, async () => ({
    ok: /Remove Pat from the call/.test((await doctor.textContent('#lobby-remove')) || '') && (await doctor.isVisible('#lobby-remove')),
    detail: await doctor.textContent('#lobby-text'),
  }));
  await doctor.click('#lobby-remove');
  await waitState(patient, 'patient', 'removed', 30_000);
  assert.match(await patient.textContent('#message-text'), /Dr\. Smith has ended this session for you/);
  await waitState(doctor, 'doctor', 'waiting', 30_000);
  // Back again: the waiting room, and the psychologist sees them there.
  await patient.reload();
  await waitState(patient, 'patient', 'lobby', 30_000);
  await h.waitFor('the doctor to see the patient waiting again', 20_000, async () => ({
    ok: await doctor.isVisible('#lobby-admit'),
    detail: await doctor.textContent('#lobby-text'),
  }));
  await doctor.click('#lobby-admit');
  await waitState(patient, 'patient', 'in-call', 30_000);
  await h.closeBrowser('patient-removed');
  await h.closeBrowser('doctor-remove');
});
