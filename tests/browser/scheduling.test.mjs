// Moving and cancelling sessions from the dashboards, under the clinic's
// policy (the server's: a patient's move waits for the psychologist's
// approval; within 24 hours of a session the patient changes nothing and is
// told why, the psychologist still can). With the demo patient (Pat) and
// psychologist (Dr. Smith), both in UTC; the browsers' own clocks are in
// Auckland, so a page that used the browser's zone instead of the user's
// would show and send the wrong times.
//
// Everything through the pages (role and label locators), checked against
// the API as well.
//
//   TEST_CONFIDE_BIN=$PWD/target/debug/confide node --test tests/browser/scheduling.test.mjs

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.mjs';

const h = new Harness();
const DAY = 24 * 3600_000;
const ZONE = 'UTC'; // the demo users' zone
const PHONE = { width: 390, height: 844 };
/** Generous: a busy machine is slow, never wrong. */
const WAIT = 20_000;

/** The demo patient and psychologist (tokens and profiles), from the API. */
let patient;
let doctor;
/** Their browsers. */
let pat;
let smith;

before(async () => {
  await h.start();
  patient = { token: await login('patient') };
  doctor = { token: await login('psychologist') };
  Object.assign(patient, (await call('/api/me', { token: patient.token })).body);
  Object.assign(doctor, (await call('/api/me', { token: doctor.token })).body);
  assert.equal(patient.time_zone, ZONE);
  assert.equal(doctor.time_zone, ZONE);
  pat = await signedIn('pat', 'patient');
  smith = await signedIn('smith', 'psychologist');
});

afterEach(() => {
  assert.deepEqual(dialogs.splice(0), [], 'no dialogs');
});

after(async () => {
  await h.teardown();
});

const call = (path, options) => h.call(path, options);

async function login(role) {
  const { email, password } = h.accounts[role];
  const { status, body } = await call('/api/auth/login', { method: 'POST', body: { email, password } });
  assert.equal(status, 200, JSON.stringify(body));
  return body.access_token;
}

/** The UTC date `days` from today (YYYY-MM-DD). */
const utcDate = (days) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

/** The patient books `iso` with Dr. Smith, through the API. */
async function book(iso, minutes = 50) {
  const { status, body } = await call('/api/appointments/', {
    token: patient.token,
    method: 'POST',
    body: { psychologist_id: doctor.id, appointment_date: iso, duration_minutes: minutes },
  });
  assert.equal(status, 201, JSON.stringify(body));
  return body;
}

/** The appointment as `who` sees it now. */
async function fetchAppointment(id, who = patient) {
  const { status, body } = await call(`/api/appointments/${id}/`, { token: who.token });
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

/** Dialogs the pages opened (window.confirm and friends are not how the
 *  page asks): each test ends with none. */
const dialogs = [];

/** A browser signed in as `role`, its clock in Auckland. Each role signs
 *  in once for the whole file: the server allows five sign-ins a minute
 *  per account and address. */
async function signedIn(name, role) {
  const page = await h.browser(name);
  page.on('dialog', (dialog) => {
    dialogs.push(`${name}: ${dialog.type()} "${dialog.message()}"`);
    dialog.dismiss().catch(() => {});
  });
  // Held for the page's lifetime: the override lasts while the session does.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTimezoneOverride', { timezoneId: 'Pacific/Auckland' });
  await h.signIn(page, role);
  await page.waitForURL(`${h.base}/`, { timeout: WAIT });
  assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), 'Pacific/Auckland');
  return page;
}

/** `page`'s dashboard, freshly loaded, at `viewport`, with appointment `id` on it. */
async function dashboard(page, id, viewport = { width: 1280, height: 800 }) {
  await page.setViewportSize(viewport);
  await page.goto(`${h.base}/`);
  await card(page, id).waitFor({ timeout: WAIT });
  return page;
}

const card = (page, id) => page.locator(`li[data-appointment-id="${id}"]`);

/** The page's own words for a time in the users' zone (format.js), and
 *  the browser's weekday for it by Intl alone, as a cross-check. */
function words(page, iso) {
  return page.evaluate(
    async ([iso, zone]) => {
      const format = await import('/js/format.js');
      return {
        day: format.dayAndTime(iso, zone),
        heading: format.dateTime(iso, zone),
        weekday: new Intl.DateTimeFormat(undefined, { weekday: 'long', timeZone: zone }).format(new Date(iso)),
        clock: new Intl.DateTimeFormat(undefined, { timeStyle: 'short', timeZone: zone }).format(new Date(iso)),
      };
    },
    [iso, ZONE],
  );
}

/** Waits until `locator`'s text is `expected` (trimmed). */
async function hasText(what, locator, expected) {
  await h.waitFor(what, WAIT, async () => {
    const text = ((await locator.textContent({ timeout: 1_000 }).catch(() => null)) || '').trim();
    return { ok: text === expected, detail: { text, expected } };
  });
}

/** Waits until `locator` matches nothing. */
async function gone(what, locator) {
  await h.waitFor(what, WAIT, async () => {
    const n = await locator.count();
    return { ok: n === 0, detail: n };
  });
}

/** The reschedule form of a card: opens it, fills the new time (wall
 *  clock in the user's zone) and optionally the length, submits; returns
 *  the PATCH's HTTP status. */
async function reschedule(page, id, { opener, wall, length, submit }) {
  const c = card(page, id);
  await c.getByRole('button', { name: opener, exact: true }).click();
  await c.getByLabel('New date and time').fill(wall);
  if (length) await c.getByLabel('Length').selectOption({ label: length });
  const patched = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/api/appointments/${id}/`), { timeout: WAIT });
  await c.getByRole('button', { name: submit, exact: true }).click();
  return (await patched).status();
}

test('a patient asks to move a session; the psychologist approves it from the dashboard', { timeout: 120_000 }, async () => {
  const booked = await book(`${utcDate(3)}T10:00:00Z`);
  const wanted = new Date(Date.parse(booked.appointment_date) + DAY + 90 * 60_000).toISOString(); // the next day, 11:30

  await dashboard(pat, booked.id);
  const mine = card(pat, booked.id);
  // The form starts from the session's time, in her zone (not Auckland's).
  await mine.getByRole('button', { name: 'Ask to reschedule', exact: true }).click();
  assert.equal(await mine.getByLabel('New date and time').inputValue(), booked.appointment_date.slice(0, 16));
  assert.equal(await mine.getByLabel('Length').inputValue(), '50');
  await mine.getByRole('button', { name: 'Close', exact: true }).click();
  assert.equal(await mine.getByLabel('New date and time').isVisible(), false);

  const status = await reschedule(pat, booked.id, { opener: 'Ask to reschedule', wall: wanted.slice(0, 16), submit: 'Send request' });
  assert.equal(status, 202, 'a request, not a move');
  const at = await words(pat, wanted);
  assert.ok(at.day.startsWith(`${at.weekday}, `) && at.day.endsWith(` at ${at.clock}`), at.day);
  await hasText('the status line', pat.locator('#changes'), `Asked ${doctor.name} to move it to ${at.day}. If they approve it, you both get the new time by e-mail; you'll see their answer here.`);
  await card(pat, booked.id).getByText(`You asked to move this to ${at.day} — waiting for ${doctor.name}.`, { exact: true }).waitFor({ timeout: WAIT });
  assert.equal(await card(pat, booked.id).getByRole('button', { name: 'Withdraw' }).isVisible(), true);
  let now = await fetchAppointment(booked.id);
  assert.equal(now.appointment_date, booked.appointment_date, 'the time stays until approved');
  assert.equal(Date.parse(now.change_request.appointment_date), Date.parse(wanted));

  // The psychologist sees it on the card, with the patient's first name, and approves.
  await dashboard(smith, booked.id);
  const theirs = card(smith, booked.id);
  const first = patient.name.split(' ')[0];
  await theirs.getByText(`${first} asks to move this to ${at.day}.`, { exact: true }).waitFor({ timeout: WAIT });
  await theirs.getByRole('button', { name: 'Approve' }).click();
  await hasText("the psychologist's status line", smith.locator('#changes'), `Moved ${first}'s session to ${at.day}. Both of you get the new time by e-mail.`);
  await hasText("the psychologist's card", card(smith, booked.id).getByRole('heading'), at.heading);
  assert.equal(await card(smith, booked.id).getByRole('button', { name: 'Approve' }).count(), 0);

  now = await fetchAppointment(booked.id);
  assert.equal(Date.parse(now.appointment_date), Date.parse(wanted), 'moved');
  assert.equal(now.change_request, null);
  assert.equal((await fetchAppointment(booked.id, doctor)).change_request, null);

  // The patient's dashboard has the new time, and nothing waits.
  await pat.reload();
  await hasText("the patient's card", card(pat, booked.id).getByRole('heading'), at.heading);
  assert.equal(await card(pat, booked.id).getByText(/waiting for/).count(), 0);

});

test('a patient asks again and withdraws, by keyboard', { timeout: 90_000 }, async () => {
  const booked = await book(`${utcDate(3)}T14:00:00Z`);
  await dashboard(pat, booked.id);
  const mine = card(pat, booked.id);
  const opener = mine.getByRole('button', { name: 'Ask to reschedule', exact: true });
  // Enter opens the form on its first field; Escape closes it, back on the button.
  await opener.focus();
  await pat.keyboard.press('Enter');
  await h.waitFor('focus in the form', WAIT, async () => {
    const id = await pat.evaluate(() => document.activeElement && document.activeElement.id);
    return { ok: id === `move-when-${booked.id}`, detail: id };
  });
  assert.equal(await opener.getAttribute('aria-expanded'), 'true');
  await pat.keyboard.press('Escape');
  assert.equal(await mine.getByLabel('New date and time').isVisible(), false);
  assert.equal(await opener.evaluate((node) => node === document.activeElement), true, 'focus back on the button');

  const wanted = new Date(Date.parse(booked.appointment_date) + 2 * 3600_000).toISOString();
  assert.equal(await reschedule(pat, booked.id, { opener: 'Ask to reschedule', wall: wanted.slice(0, 16), submit: 'Send request' }), 202);
  const at = await words(pat, wanted);
  const waiting = card(pat, booked.id).getByText(`You asked to move this to ${at.day} — waiting for ${doctor.name}.`, { exact: true });
  await waiting.waitFor({ timeout: WAIT });
  assert.ok((await fetchAppointment(booked.id)).change_request);

  const withdraw = card(pat, booked.id).getByRole('button', { name: 'Withdraw' });
  await withdraw.focus();
  await pat.keyboard.press('Enter');
  const stays = await words(pat, booked.appointment_date);
  await hasText('the status line', pat.locator('#changes'), `Withdrew your request: the session stays on ${stays.day}.`);
  await gone('the waiting line', card(pat, booked.id).getByText(/waiting for/));
  const now = await fetchAppointment(booked.id);
  assert.equal(now.change_request, null);
  assert.equal(now.appointment_date, booked.appointment_date);
});

test('the psychologist declines a request; the session keeps its time', { timeout: 90_000 }, async () => {
  const booked = await book(`${utcDate(8)}T10:00:00Z`);
  const wanted = new Date(Date.parse(booked.appointment_date) + 5 * 3600_000).toISOString();
  const { status } = await call(`/api/appointments/${booked.id}/`, {
    token: patient.token,
    method: 'PATCH',
    body: { appointment_date: wanted, duration_minutes: 60 },
  });
  assert.equal(status, 202);
  await dashboard(smith, booked.id);
  const asked = await words(smith, wanted);
  const first = patient.name.split(' ')[0];
  const theirs = card(smith, booked.id);
  // A longer session is part of what is asked.
  await theirs.getByText(`${first} asks to move this to ${asked.day} (60 minutes).`, { exact: true }).waitFor({ timeout: WAIT });
  await theirs.getByRole('button', { name: 'Decline' }).click();
  const stays = await words(smith, booked.appointment_date);
  await hasText('the status line', smith.locator('#changes'), `Declined ${first}'s request: the session stays on ${stays.day}.`);
  await gone('the request', card(smith, booked.id).getByRole('button', { name: 'Approve' }));
  const now = await fetchAppointment(booked.id);
  assert.equal(now.change_request, null);
  assert.equal(now.appointment_date, booked.appointment_date);
  assert.equal(now.duration_minutes, 50);
});

test('a patient cancels from the card, after saying yes on it', { timeout: 90_000 }, async () => {
  const booked = await book(`${utcDate(5)}T10:00:00Z`);
  await dashboard(pat, booked.id);
  const mine = card(pat, booked.id);
  const at = await words(pat, booked.appointment_date);
  const question = mine.getByRole('group', { name: `Cancel this session on ${at.day}?` });

  // "Keep it" (where focus starts) keeps it.
  await mine.getByRole('button', { name: 'Cancel session' }).click();
  await question.waitFor({ timeout: WAIT });
  assert.equal(await question.getByRole('button', { name: 'Keep it' }).evaluate((node) => node === document.activeElement), true);
  await question.getByRole('button', { name: 'Keep it' }).click();
  assert.equal(await question.isVisible(), false);
  assert.equal((await fetchAppointment(booked.id)).status, 'scheduled');

  await mine.getByRole('button', { name: 'Cancel session' }).click();
  await question.getByRole('button', { name: 'Yes, cancel' }).click();
  await hasText('the status line', pat.locator('#changes'), `Cancelled the session on ${at.day}.`);
  await gone('the card', card(pat, booked.id));
  assert.equal((await fetchAppointment(booked.id)).status, 'cancelled');
});

test('within 24 hours the patient is told why not; the psychologist moves it directly', { timeout: 90_000 }, async () => {
  // Five hours ahead, on the minute (the form has no seconds).
  const soon = new Date(Math.ceil((Date.now() + 5 * 3600_000) / 60_000) * 60_000).toISOString();
  const booked = await book(soon);
  assert.equal(booked.can_reschedule, false);

  await dashboard(pat, booked.id);
  const mine = card(pat, booked.id);
  const reason = mine.getByText(/within 24 hours/i);
  await reason.waitFor({ timeout: WAIT });
  assert.match(await reason.textContent(), /^Within 24 hours of the session, changes go through the clinic: contact .+\.$/);
  assert.ok((await reason.textContent()).includes(doctor.name));
  assert.equal(await mine.getByRole('button', { name: /reschedule|cancel/i }).count(), 0, 'no buttons for the patient');

  await dashboard(smith, booked.id);
  const theirs = card(smith, booked.id);
  assert.equal(await theirs.getByRole('button', { name: 'Cancel session' }).isVisible(), true);
  assert.equal(await theirs.getByText(/within 24 hours/i).count(), 0);
  const later = new Date(Date.parse(soon) + 3600_000).toISOString();
  const status = await reschedule(smith, booked.id, { opener: 'Reschedule', wall: later.slice(0, 16), length: '30 minutes', submit: 'Move session' });
  assert.equal(status, 200, 'the psychologist moves it, no request');
  const at = await words(smith, later);
  await hasText('the status line', smith.locator('#changes'), `Moved to ${at.day} (30 minutes). Both of you get the new time by e-mail.`);
  await hasText("the psychologist's card", card(smith, booked.id).getByRole('heading'), at.heading);
  const now = await fetchAppointment(booked.id);
  assert.equal(Date.parse(now.appointment_date), Date.parse(later));
  assert.equal(now.duration_minutes, 30);
  assert.equal(now.change_request, null);
});

test('a clash is refused on the card in the server’s words, the form left open', { timeout: 90_000 }, async () => {
  const booked = await book(`${utcDate(7)}T10:00:00Z`);
  const other = await book(new Date(Date.parse(booked.appointment_date) + 3 * 3600_000).toISOString());
  await dashboard(pat, booked.id);
  const clash = new Date(Date.parse(other.appointment_date) + 15 * 60_000).toISOString();
  const status = await reschedule(pat, booked.id, { opener: 'Ask to reschedule', wall: clash.slice(0, 16), submit: 'Send request' });
  assert.equal(status, 409);
  const alert = card(pat, booked.id).getByRole('alert');
  await h.waitFor('the refusal', WAIT, async () => {
    const text = (await alert.textContent()) || '';
    return { ok: /already ha(s|ve) an appointment/.test(text), detail: text };
  });
  const from = await words(pat, other.appointment_date);
  assert.ok((await alert.textContent()).includes(from.clock), 'worded in her zone');
  assert.equal(await card(pat, booked.id).getByLabel('New date and time').isVisible(), true, 'she can pick another time');
  assert.equal((await fetchAppointment(booked.id)).change_request, null);
});

test('on a 390 px phone an open form and a waiting request fit the screen', { timeout: 90_000 }, async (t) => {
  const booked = await book(`${utcDate(6)}T10:00:00Z`);
  const { status } = await call(`/api/appointments/${booked.id}/`, {
    token: patient.token,
    method: 'PATCH',
    body: { appointment_date: new Date(Date.parse(booked.appointment_date) + 2 * 3600_000).toISOString() },
  });
  assert.equal(status, 202);

  for (const [page, role, opener] of [[pat, 'patient', 'Ask to reschedule'], [smith, 'psychologist', 'Reschedule']]) {
    await dashboard(page, booked.id, PHONE);
    const c = card(page, booked.id);
    await c.getByRole('button', { name: opener, exact: true }).click();
    await c.getByLabel('New date and time').waitFor({ timeout: WAIT });
    await c.getByText(/move this to/).waitFor({ timeout: WAIT });
    const m = await page.evaluate(() => {
      const beyond = [];
      for (const node of document.body.querySelectorAll('main *')) {
        const box = node.getBoundingClientRect();
        if (box.width > 0 && box.height > 0 && box.right > window.innerWidth + 0.5) beyond.push(`${node.tagName} ${node.className} ${Math.round(box.right)}px`);
      }
      return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, beyond };
    });
    assert.equal(m.innerWidth, PHONE.width);
    assert.ok(m.scrollWidth <= m.innerWidth, `${role}: the page is ${m.scrollWidth}px wide in a ${m.innerWidth}px window`);
    assert.deepEqual(m.beyond, [], `${role}: boxes past the right edge`);
    const path = `${h.artifacts}/scheduling-${role}-phone.png`;
    await page.screenshot({ path, fullPage: true });
    t.diagnostic(`screenshot: ${path}`);
  }
});
