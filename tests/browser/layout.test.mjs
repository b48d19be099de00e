// The clinic's pages on a phone (390×844) and a laptop (1280×800): nothing
// wider than the window (no sideways scrolling, no box past the right
// edge), a header bar of one row, and times people can read: a session
// three days away says its day ("Opens Thursday, Dec 10 at 9:15 PM"), not
// "Opens in 72:43:49"; a booking stays confirmed on screen, naming the day,
// time and psychologist; the room-open notification says the room is open,
// not that the session is starting.
//
// Pages: sign-in, the patient's and the psychologist's dashboards, the admin
// page and its notifications page, the video page too early, the pre-call
// check. A full-page screenshot of each, per size, goes to SCREENSHOT_DIR
// (default: screenshots/ in the server's data folder, which the run removes
// at the end; set SCREENSHOT_DIR to keep them). Their paths are printed as
// test diagnostics.
//
//   TEST_CONFIDE_BIN=$PWD/target/debug/confide node --test tests/browser/layout.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Harness } from './harness.mjs';

const h = new Harness();
const PHONE = { name: 'phone', width: 390, height: 844 };
const LAPTOP = { name: 'laptop', width: 1280, height: 800 };
/** Ana books from São Paulo (UTC−3); the demo psychologist's zone is UTC,
 *  so the two dashboards name different days for the same session. */
const ANA = { email: 'ana.layout@clinic.test', password: 'correct horse battery', name: 'Ana Layout', zone: 'America/Sao_Paulo' };
const DAY = 24 * 3600_000;

let shots;
/** Dr. Smith (the demo psychologist), from the API. */
let doctor;
/** Ana's appointment three days ahead at 9:30 PM her time: its room opens at 9:15 PM. */
let far;

before(async () => {
  await h.start();
  shots = process.env.SCREENSHOT_DIR || join(h.dataDir, 'screenshots');
  await mkdir(shots, { recursive: true });
  const admin = await login(h.accounts.admin.email, h.accounts.admin.password);
  const created = await call('/api/users/', {
    token: admin,
    method: 'POST',
    body: { email: ANA.email, name: ANA.name, role: 'patient', password: ANA.password, time_zone: ANA.zone },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  [doctor] = (await call('/api/users/?role=psychologist', { token: admin })).body;
  const booked = await call('/api/appointments/', {
    token: await login(ANA.email, ANA.password),
    method: 'POST',
    body: { psychologist_id: doctor.id, appointment_date: saoPaulo(3, '21:30'), duration_minutes: 50 },
  });
  assert.equal(booked.status, 201, JSON.stringify(booked.body));
  far = booked.body;
});

after(async () => {
  await h.teardown();
});

const call = (path, options) => h.call(path, options);

const login = (email, password) => h.login(email, password);

/** São Paulo's wall date `days` from today (YYYY-MM-DD). São Paulo has
 *  kept UTC−3 all year since 2019. */
function saoPauloDate(days) {
  return new Date(Date.now() - 3 * 3600_000 + days * DAY).toISOString().slice(0, 10);
}

/** `clock` on São Paulo's day `days` from today, as ISO 8601 UTC. */
function saoPaulo(days, clock) {
  return new Date(`${saoPauloDate(days)}T${clock}:00-03:00`).toISOString();
}

async function signInAsAna(page) {
  await page.goto(`${h.base}/login.html`);
  await page.fill('#email', ANA.email);
  await page.fill('#password', ANA.password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${h.base}/`);
}

/** The weekday of `iso` in `timeZone`, in the browser's own words (the
 *  pages format with the browser's locale). */
function weekday(page, iso, timeZone) {
  return page.evaluate(
    ([iso, timeZone]) => new Intl.DateTimeFormat(undefined, { weekday: 'long', timeZone }).format(new Date(iso)),
    [iso, timeZone],
  );
}

/** A countdown of hours ("72:43:49") or a bare "in 12:34". */
const COUNTDOWN = /\d+:\d\d:\d\d|\bin \d+:\d\d/;

/**
 * What the layout checks look at, measured in the page: the document's
 * width; every rendered element whose box reaches past the window's right
 * edge (after clipping by overflow-hidden ancestors, as visually hidden
 * text is; a table scrolling inside its own container still counts: the
 * user would have to scroll it sideways); and the header bar's height and
 * whether its items (the name, the nav's buttons or the Menu button) sit
 * on one line.
 */
function measure(page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const describe = (node) =>
      `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ''}${node.classList.length ? `.${[...node.classList].join('.')}` : ''}`;
    const beyond = [];
    for (const node of document.body.querySelectorAll('*')) {
      const box = node.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || getComputedStyle(node).visibility === 'hidden') continue;
      let right = box.right;
      for (let up = node.parentElement; up && up !== document.body; up = up.parentElement) {
        const overflow = getComputedStyle(up).overflowX;
        if (overflow === 'hidden' || overflow === 'clip') right = Math.min(right, up.getBoundingClientRect().right);
      }
      if (right > width + 0.5) beyond.push(`${describe(node)} reaches ${Math.round(right)}px: "${(node.textContent || '').trim().slice(0, 60)}"`);
    }
    const header = document.querySelector('body > header');
    let bar = null;
    if (header) {
      // The nav's items are the bar's own unless the nav is the phone's
      // menu panel, which opens under the bar.
      const nav = header.querySelector('nav');
      const inBar = nav && getComputedStyle(nav).position !== 'absolute' ? [...nav.children] : [];
      const items = [...header.children, ...inBar]
        .filter((node) => node.tagName !== 'NAV')
        .map((node) => ({ node, box: node.getBoundingClientRect() }))
        .filter(({ box }) => box.width > 0 && box.height > 0);
      const lowestTop = Math.max(...items.map(({ box }) => box.top));
      const highestBottom = Math.min(...items.map(({ box }) => box.bottom));
      bar = {
        height: /** @type {HTMLElement} */ (header).offsetHeight,
        oneRow: lowestTop < highestBottom,
        items: items.map(({ node, box }) => `${describe(node)} ${Math.round(box.top)}–${Math.round(box.bottom)}`),
      };
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: width, beyond, bar };
  });
}

/**
 * The checks of one page at both sizes, laptop first: there the bar's
 * single-row height is measured, and on the phone the bar must stay below
 * 1.5 times that. (Its buttons are 2.75rem = 44 px tall, so a second row
 * would add at least 44 px plus a gap to a bar of about 61 px: over 1.7
 * times. 1.5 leaves room for rounding and nothing for a second row.)
 * `ready(viewport)` waits for what the page shows at that size.
 * @returns {Promise<void>}
 */
async function checkLayout(t, page, name, ready = async () => {}) {
  let singleRow = null;
  for (const viewport of [LAPTOP, PHONE]) {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    await ready(viewport);
    const m = await measure(page);
    const where = `${name} at ${viewport.width}×${viewport.height}`;
    assert.ok(m.scrollWidth <= m.innerWidth, `${where}: the page is ${m.scrollWidth}px wide in a ${m.innerWidth}px window`);
    assert.deepEqual(m.beyond, [], `${where}: boxes past the right edge`);
    if (m.bar) {
      t.diagnostic(`${where}: header ${m.bar.height}px`);
      assert.ok(m.bar.oneRow, `${where}: the header's items are not on one line: ${m.bar.items.join(', ')}`);
      if (viewport === LAPTOP) singleRow = m.bar.height;
      else assert.ok(m.bar.height < singleRow * 1.5, `${where}: the header is ${m.bar.height}px tall, one row is ${singleRow}px`);
    }
    await shot(t, page, `${name}-${viewport.name}`);
  }
}

async function shot(t, page, name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  t.diagnostic(`screenshot: ${path}`);
}

const videoState = (page) => page.evaluate(() => window.confideVideo && window.confideVideo.state);

test('the sign-in page', { timeout: 60_000 }, async (t) => {
  const page = await h.browser('visitor');
  await page.goto(`${h.base}/login.html`);
  await page.waitForSelector('#login');
  await checkLayout(t, page, 'sign-in');
  await h.closeBrowser('visitor');
});

test("the patient's dashboard: the day of a session days away; a booking stays confirmed", { timeout: 90_000 }, async (t) => {
  const page = await h.browser('ana');
  // A clock of our own (running), to bring the dashboard's one-minute
  // refresh forward.
  await page.clock.install();
  await signInAsAna(page);
  const hint = `#join-hint-${far.id}`;
  await h.waitFor("the card's hint", 10_000, async () => {
    const text = await page.textContent(hint).catch(() => null);
    return { ok: Boolean(text), detail: text };
  });
  const day = await weekday(page, far.join_opens_at, ANA.zone);
  const text = await page.textContent(hint);
  assert.ok(text.startsWith(`Opens ${day}, `), `the hint names the day the room opens (${day}): ${text}`);
  assert.doesNotMatch(text, COUNTDOWN, 'no countdown three days ahead');
  assert.equal(await page.locator(`[data-appointment-id="${far.id}"]`).getByText(/Video room|apt-\d/).count(), 0, 'no room name on the card');

  // Booking from the form: the confirmation names the day, the time (her
  // zone's) and the psychologist, and stays through the list's refresh.
  await page.selectOption('#psychologist', { label: doctor.name });
  await page.fill('#when', `${saoPauloDate(5)}T10:00`);
  await page.click('#book button[type=submit]');
  await h.waitFor('the booking confirmation', 10_000, async () => ({ ok: await page.isVisible('#booked'), detail: await page.textContent('#book-error') }));
  const at = saoPaulo(5, '10:00');
  const expected = await page.evaluate(
    ([at, timeZone]) => ({
      day: new Intl.DateTimeFormat(undefined, { weekday: 'long', timeZone }).format(new Date(at)),
      date: new Intl.DateTimeFormat(undefined, { day: 'numeric', timeZone }).format(new Date(at)),
      time: new Intl.DateTimeFormat(undefined, { timeStyle: 'short', timeZone }).format(new Date(at)),
    }),
    [at, ANA.zone],
  );
  const confirmation = await page.textContent('#booked');
  assert.ok(confirmation.startsWith(`Booked: ${expected.day}, `), confirmation);
  assert.ok(confirmation.includes(expected.date), confirmation);
  assert.ok(
    confirmation.endsWith(` at ${expected.time} with ${doctor.name}. A confirmation is on its way by e-mail.`),
    `${confirmation}\nexpected … at ${expected.time} with ${doctor.name}. A confirmation is on its way by e-mail.`,
  );
  const refreshed = page.waitForResponse((r) => r.url().includes('/api/appointments/?status=scheduled'), { timeout: 15_000 });
  await page.clock.fastForward('01:05');
  await refreshed;
  await page.waitForSelector('#upcoming li.appointment >> nth=1');
  assert.equal(await page.isVisible('#booked'), true, 'the confirmation outlives the refresh');
  assert.equal(await page.textContent('#booked'), confirmation);

  await checkLayout(t, page, 'dashboard-patient');

  // The phone's menu opens under the bar (which keeps its height) and
  // fits too; Escape closes it.
  const closed = (await measure(page)).bar.height;
  await page.click('#menu');
  assert.equal(await page.getAttribute('#menu', 'aria-expanded'), 'true');
  assert.equal(await page.isVisible('#sign-out'), true);
  const open = await measure(page);
  assert.ok(open.scrollWidth <= open.innerWidth && open.beyond.length === 0, JSON.stringify(open));
  assert.ok(open.bar.oneRow && open.bar.height === closed, `the open menu leaves the bar one row: ${JSON.stringify(open.bar)}`);
  await shot(t, page, 'dashboard-patient-menu-phone');
  await page.keyboard.press('Escape');
  assert.equal(await page.isVisible('#sign-out'), false);

  // Going on to something else (another booking) puts it away.
  await page.fill('#when', `${saoPauloDate(6)}T10:00`);
  assert.equal(await page.isVisible('#booked'), false);
  await h.closeBrowser('ana');
});

test('the texts of an opening room: the notification, the banner, the hints', { timeout: 60_000 }, async () => {
  const page = await h.browser('texts');
  await page.goto(`${h.base}/login.html`);
  // The builders, with fixed times: 12:45 UTC is 9:45 AM in São Paulo.
  const got = await page.evaluate(async () => {
    const { roomOpenMessage } = await import('/js/appointments.js');
    const { opensWhen } = await import('/js/format.js');
    const zone = 'America/Sao_Paulo';
    const clock = (iso) => new Intl.DateTimeFormat(undefined, { timeStyle: 'short', timeZone: zone }).format(new Date(iso));
    const appointment = { appointment_date: '2026-12-10T12:45:00Z', patient: { id: 7, name: 'Ana' }, psychologist: { id: 3, name: 'Dr. Ana Jones' } };
    const opens = '2026-12-11T00:15:00Z'; // Thursday, December 10, 9:15 PM in São Paulo
    const at = (ms) => Date.parse(opens) - ms;
    return {
      startTime: clock(appointment.appointment_date),
      opensTime: clock(opens),
      thursday: new Intl.DateTimeFormat(undefined, { weekday: 'long' }).format(new Date('2026-12-10T12:00:00Z')),
      patient: roomOpenMessage(appointment, { id: 7, time_zone: zone }),
      psychologist: roomOpenMessage(appointment, { id: 3, time_zone: zone }),
      days: opensWhen(opens, zone, { now: at(3 * 86_400_000 + 60_000) }),
      daysLong: opensWhen(opens, zone, { now: at(3 * 86_400_000 + 60_000), long: true }),
      today: opensWhen(opens, zone, { now: at((2 * 3600 + 12 * 60 + 30) * 1000) }),
      soon: opensWhen(opens, zone, { now: at(754_000) }),
      soonLong: opensWhen(opens, zone, { now: at(754_000), long: true }),
    };
  });
  assert.match(got.startTime, /^9:45/, 'the start time in the user’s zone');
  assert.deepEqual(got.patient, {
    title: `The room for your ${got.startTime} session is open`,
    body: "With Dr. Ana Jones. Join now or when you're ready.",
    banner: `Your session with Dr. Ana Jones at ${got.startTime}: the room is open.`,
  });
  assert.equal(got.psychologist.body, "With Ana. Join now or when you're ready.");
  assert.ok(got.days.startsWith(`${got.thursday}, `) && got.days.endsWith(` at ${got.opensTime}`), got.days);
  assert.doesNotMatch(got.days, COUNTDOWN);
  assert.ok(got.daysLong.startsWith(`on ${got.thursday}, `), got.daysLong);
  assert.equal(got.today, `at ${got.opensTime} (in 2 h 13 min)`);
  assert.equal(got.soon, 'in 12:34');
  assert.equal(got.soonLong, `at ${got.opensTime} (in 12:34)`);
  await h.closeBrowser('texts');

  // And on the dashboard, as the room opens: the page's clock is moved to
  // 5 s before the opening of Ana's session three days ahead and stopped
  // there, then on; notifications are "allowed" and recorded.
  const ana = await h.browser('ana-notified');
  await h.recordNotifications(ana);
  await ana.clock.install({ time: Date.parse(far.join_opens_at) - 10 * 60_000 });
  await signInAsAna(ana);
  const hint = `#join-hint-${far.id}`;
  await ana.waitForSelector(hint);
  await ana.clock.pauseAt(Date.parse(far.join_opens_at) - 5_000);
  await h.waitFor('the last seconds', 10_000, async () => {
    const text = await ana.textContent(hint).catch(() => null);
    return { ok: /^Opens in 0:0\d$/.test(text || ''), detail: text };
  });
  assert.equal(await ana.isVisible('#banner'), false);
  await ana.clock.fastForward('00:10');
  await h.waitFor('the banner', 10_000, async () => ({ ok: await ana.isVisible('#banner'), detail: await ana.textContent(hint) }));
  const startTime = await ana.evaluate(
    ([iso, timeZone]) => new Intl.DateTimeFormat(undefined, { timeStyle: 'short', timeZone }).format(new Date(iso)),
    [far.appointment_date, ANA.zone],
  );
  assert.match(startTime, /^9:30/);
  assert.match(await ana.textContent('#banner p'), new RegExp(`^Your session with ${doctor.name.replace('.', '\\.')} at ${startTime}: the room is open\\.$`));
  assert.deepEqual(await ana.evaluate(() => window.shown), [
    { title: `The room for your ${startTime} session is open`, body: `With ${doctor.name}. Join now or when you're ready.` },
  ]);
  await h.closeBrowser('ana-notified');
});

test("the psychologist's dashboard", { timeout: 60_000 }, async (t) => {
  const page = await h.browser('doctor');
  await h.signIn(page, 'psychologist');
  await page.waitForURL(`${h.base}/`);
  const hint = `#join-hint-${far.id}`;
  await h.waitFor("the card's hint", 10_000, async () => {
    const text = await page.textContent(hint).catch(() => null);
    return { ok: Boolean(text), detail: text };
  });
  // The doctor's zone (UTC) is a day on from Ana's at 9:15 PM.
  const day = await weekday(page, far.join_opens_at, doctor.time_zone || 'UTC');
  const text = await page.textContent(hint);
  assert.ok(text.startsWith(`Opens ${day}, `), `the hint names the day in the doctor's zone (${day}): ${text}`);
  assert.doesNotMatch(text, COUNTDOWN);
  await checkLayout(t, page, 'dashboard-psychologist');
  await h.closeBrowser('doctor');
});

test('the admin page and its notifications page', { timeout: 90_000 }, async (t) => {
  const page = await h.browser('admin');
  await h.signIn(page, 'admin');
  await page.waitForURL(`${h.base}/admin/`);
  await h.waitFor('the people and the appointments', 10_000, async () => {
    const people = await page.$$eval('#users tbody tr', (trs) => trs.length);
    const appointments = await page.$$eval('#appointments tbody tr', (trs) => trs.length);
    return { ok: people >= 4 && appointments >= 2, detail: { people, appointments } };
  });
  await page.click('summary'); // the add-a-person form, open
  await checkLayout(t, page, 'admin', async (viewport) => {
    // On the phone a row is a card: one cell under another.
    const display = await page.$eval('#users tbody tr', (tr) => getComputedStyle(tr).display);
    assert.equal(display, viewport === PHONE ? 'block' : 'table-row');
  });

  await page.goto(`${h.base}/admin/notifications.html`);
  await h.waitFor('the confirmations', 20_000, async () => {
    const rows = await page.$$eval('#notifications tbody tr', (trs) => trs.length);
    return { ok: rows >= 3, detail: rows };
  });
  // The messages open, links and all: they must wrap too.
  await page.$$eval('#notifications details', (all) => all.forEach((d) => (d.open = true)));
  await checkLayout(t, page, 'admin-notifications');
  await h.closeBrowser('admin');
});

test('the video page, days too early, says the day', { timeout: 60_000 }, async (t) => {
  const page = await h.browser('ana-video');
  await signInAsAna(page);
  await page.goto(`${h.base}/video-session/${far.video_room_id}`);
  await h.waitFor('too-early', 15_000, async () => {
    const state = await videoState(page);
    return { ok: state === 'too-early', detail: { state, text: await page.textContent('#message-text').catch(() => null) } };
  });
  const day = await weekday(page, far.join_opens_at, ANA.zone);
  const text = await page.textContent('#message-text');
  assert.ok(text.includes(`room opens on ${day}, `), `the day (${day}): ${text}`);
  assert.doesNotMatch(text, COUNTDOWN);
  await checkLayout(t, page, 'video-too-early');
  await h.closeBrowser('ana-video');
});

test('the pre-call check', { timeout: 60_000 }, async (t) => {
  const page = await h.browser('check');
  await page.goto(`${h.base}/pre-call?room=${far.video_room_id}`);
  await h.waitFor('the camera to start', 15_000, async () => {
    const status = await page.textContent('#status');
    return { ok: /you are ready/.test(status || ''), detail: status };
  });
  await checkLayout(t, page, 'pre-call');
  await h.closeBrowser('check');
});
