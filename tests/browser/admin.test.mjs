// The clinic admin's pages, through the pages (role and label locators) and
// checked against the API: editing a person, closing and reopening an
// account, sending a password reset, booking for someone, moving and
// cancelling it, the audit log (filter and CSV export), attendance, and
// all three admin pages on a phone.
//
// The admin's profile is moved to São Paulo (UTC−3) and the browser's
// clock to Auckland: a page that showed or sent times in UTC or in the
// browser's zone instead of the admin's would be caught.
//
//   TEST_CONFIDE_BIN=$PWD/target/debug/confide node --test tests/browser/admin.test.mjs

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Harness } from './harness.mjs';

const h = new Harness();
const DAY = 24 * 3600_000;
const ZONE = 'America/Sao_Paulo'; // the admin's, for this file; UTC−3 all year since 2019
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };
/** Generous: a busy machine is slow, never wrong. */
const WAIT = 20_000;

/** The admin (token and profile), the demo patient and psychologist. */
let admin;
let patient;
let doctor;
/** The admin's browser, signed in once for the file (the server allows
 *  five sign-ins a minute per account and address). */
let page;
/** The appointment booked from the page in (d). */
let booked;
/** Dialogs the page opened: it asks in the page, never with window.confirm. */
const dialogs = [];

before(async () => {
  await h.start();
  admin = { token: await login('admin') };
  Object.assign(admin, (await call('/api/me', { token: admin.token })).body);
  const moved = await call(`/api/users/${admin.id}/`, { token: admin.token, method: 'PATCH', body: { time_zone: ZONE } });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  const users = (await call('/api/users/', { token: admin.token })).body;
  patient = users.find((u) => u.email === h.accounts.patient.email);
  doctor = users.find((u) => u.email === h.accounts.psychologist.email);
  assert.ok(patient && doctor, JSON.stringify(users));

  page = await h.browser('admin');
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()} "${dialog.message()}"`);
    dialog.dismiss().catch(() => {});
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTimezoneOverride', { timezoneId: 'Pacific/Auckland' });
  await h.signIn(page, 'admin');
  await page.waitForURL(`${h.base}/admin/`, { timeout: WAIT });
});

afterEach(() => {
  assert.deepEqual(dialogs.splice(0), [], 'no dialogs');
});

after(async () => {
  await h.teardown();
});

const call = (path, options) => h.call(path, options);

/** Signs in `role` by the API (or tries to): the answer. */
function tryLogin(role) {
  const { email, password } = h.accounts[role];
  return call('/api/auth/login', { method: 'POST', body: { email, password } });
}

async function login(role) {
  const { status, body } = await tryLogin(role);
  assert.equal(status, 200, JSON.stringify(body));
  return body.access_token;
}

/** São Paulo's wall date `days` from today (YYYY-MM-DD). */
const zoneDate = (days) => new Date(Date.now() - 3 * 3600_000 + days * DAY).toISOString().slice(0, 10);
/** `clock` on São Paulo's day `days` from today, as an instant (ms). */
const zoned = (days, clock) => Date.parse(`${zoneDate(days)}T${clock}:00-03:00`);

/** The admin page, freshly loaded, with the people and appointments listed. */
async function adminPage(viewport = LAPTOP) {
  await page.setViewportSize(viewport);
  await page.goto(`${h.base}/admin/`);
  await h.waitFor('the people and the appointments', WAIT, async () => {
    const people = await page.locator('#users tbody tr').count();
    const appointments = await page.locator('#appointments tbody tr').count();
    return { ok: people >= 3 && appointments >= 1, detail: { people, appointments } };
  });
}

const personRow = (id) => page.locator(`#users tr[data-user-id="${id}"]`);
const appointmentRow = (id) => page.locator(`#appointments tr[data-appointment-id="${id}"]`);

/** Waits until `locator`'s text matches `pattern`; returns it. */
async function textMatches(what, locator, pattern) {
  const found = await h.waitFor(what, WAIT, async () => {
    const text = (await locator.textContent().catch(() => null)) || '';
    return { ok: pattern.test(text), detail: text };
  });
  return found.detail;
}

async function userById(id) {
  const users = (await call('/api/users/', { token: admin.token })).body;
  return users.find((u) => u.id === id);
}

async function appointmentById(id) {
  const { status, body } = await call(`/api/appointments/${id}/`, { token: admin.token });
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

/** The page's own words for an instant in the admin's zone (format.js). */
function words(iso) {
  return page.evaluate(
    async ([iso, zone]) => {
      const format = await import('/js/format.js');
      return { full: format.dateTime(iso, zone), day: format.dayAndTime(iso, zone) };
    },
    [iso, ZONE],
  );
}

/** No sideways scrolling, no box past the right edge (as layout.test.mjs). */
function overflow() {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const beyond = [];
    for (const node of document.body.querySelectorAll('*')) {
      const box = node.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || getComputedStyle(node).visibility === 'hidden') continue;
      let right = box.right;
      for (let up = node.parentElement; up && up !== document.body; up = up.parentElement) {
        const o = getComputedStyle(up).overflowX;
        if (o === 'hidden' || o === 'clip') right = Math.min(right, up.getBoundingClientRect().right);
      }
      if (right > width + 0.5) beyond.push(`${node.tagName.toLowerCase()}#${node.id} reaches ${Math.round(right)}px`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: width, beyond };
  });
}

test('(a) editing a person: phone and WhatsApp consent; a bad phone is refused beside the field', { timeout: 90_000 }, async () => {
  await adminPage();
  const row = personRow(patient.id);
  await row.getByRole('button', { name: `Edit ${patient.name}` }).click();
  const phone = row.getByLabel(/^Phone/);
  await phone.fill('12');
  await row.getByRole('button', { name: 'Save' }).click();
  await textMatches('the phone problem beside the field', row.locator(`#edit-${patient.id}-phone-error`), /\S/);
  assert.equal(await phone.getAttribute('aria-invalid'), 'true');

  const consent = !patient.whatsapp_opt_in;
  await phone.fill('+5511900001111');
  await row.getByLabel('Agreed to WhatsApp reminders').setChecked(consent);
  await row.getByRole('button', { name: 'Save' }).click();
  await textMatches('the saved line', page.locator('#people-status'), new RegExp(`^Saved ${patient.name}\\.$`));
  const after = await userById(patient.id);
  assert.equal(after.phone, '+5511900001111');
  assert.equal(after.whatsapp_opt_in, consent);
  await textMatches('the row redrawn', personRow(patient.id).locator('td[data-label="Phone"]'), /^\+5511900001111/);
});

test('(b) closing an account from the page stops sign-in; reopening lets it in again', { timeout: 90_000 }, async () => {
  await adminPage();
  await personRow(patient.id).getByRole('button', { name: `Close ${patient.name}'s account` }).click();
  const question = personRow(patient.id).getByRole('group');
  assert.match(await question.textContent(), /Close .*account\?/);
  await question.getByRole('button', { name: 'Yes, close it' }).click();
  await textMatches('the closed line', page.locator('#people-status'), /^Closed /);
  await textMatches('the row marked closed', personRow(patient.id).locator('td[data-label="Status"]'), /^Closed$/);
  assert.match(await personRow(patient.id).getAttribute('class'), /\bclosed\b/);
  assert.equal((await userById(patient.id)).active, false);
  const refused = await tryLogin('patient');
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  assert.match(refused.body.message, /closed/);
  // No reset e-mails for a closed account: the button is gone.
  assert.equal(await personRow(patient.id).getByRole('button', { name: /password reset/ }).count(), 0);

  await personRow(patient.id).getByRole('button', { name: `Reopen ${patient.name}'s account` }).click();
  await textMatches('the reopened line', page.locator('#people-status'), /^Reopened /);
  await textMatches('the row active again', personRow(patient.id).locator('td[data-label="Status"]'), /^Active$/);
  assert.equal((await userById(patient.id)).active, true);
  await login('patient');
});

test('(c) sending a password reset shows the server’s answer', { timeout: 60_000 }, async () => {
  await adminPage();
  await personRow(patient.id).getByRole('button', { name: `Send ${patient.name} a password reset` }).click();
  const text = await textMatches('the reset line', page.locator('#people-status'), new RegExp(`^${patient.name}: \\S`));
  assert.ok(text.length > patient.name.length + 5, text);
});

test('(d) booking for someone, moving it and cancelling it, in the admin’s zone', { timeout: 120_000 }, async () => {
  await adminPage();
  assert.equal(await page.textContent('#when-heading'), `When (${ZONE})`);
  await page.getByText('Book for someone').click();
  await page.getByLabel('Patient', { exact: true }).selectOption({ label: patient.name });
  await page.getByLabel('Psychologist', { exact: true }).selectOption({ label: doctor.name });
  await page.locator('#b-when').fill(`${zoneDate(3)}T10:00`);
  await page.locator('#book').getByLabel('Length').selectOption('50');
  await page.locator('#book').getByRole('button', { name: 'Book' }).click();
  await textMatches('the booking line', page.locator('#appointments-status'), /^Booked /);
  const at = zoned(3, '10:00');
  const list = (await call('/api/appointments/', { token: admin.token })).body;
  booked = list.find((a) => Date.parse(a.appointment_date) === at && a.patient.id === patient.id && a.status === 'scheduled');
  assert.ok(booked, `booked for ${new Date(at).toISOString()}: ${JSON.stringify(list.map((a) => a.appointment_date))}`);
  assert.equal(booked.psychologist.id, doctor.id);
  assert.equal(booked.duration_minutes, 50);
  assert.equal(booked.session_type, 'telehealth');
  const bookedWords = await words(booked.appointment_date);
  assert.ok((await page.textContent('#appointments-status')).includes(bookedWords.day));
  await appointmentRow(booked.id).waitFor({ timeout: WAIT });
  assert.ok((await appointmentRow(booked.id).locator('td[data-label="When"]').textContent()).startsWith(bookedWords.full));

  // The same time again clashes: the server's words, as they are.
  await page.locator('#b-when').fill(`${zoneDate(3)}T10:00`);
  await page.locator('#book').getByRole('button', { name: 'Book' }).click();
  await textMatches('the clash', page.locator('#book-error'), /\S/);

  // Moved to the next day at 11:00, 60 minutes.
  const row = appointmentRow(booked.id);
  await row.getByRole('button', { name: /^Reschedule / }).click();
  await row.getByLabel(/^New date and time/).fill(`${zoneDate(4)}T11:00`);
  await row.getByLabel('Length').selectOption('60');
  await row.getByRole('button', { name: 'Move session' }).click();
  await textMatches('the moved line', page.locator('#appointments-status'), /^Moved /);
  const moved = await appointmentById(booked.id);
  assert.equal(Date.parse(moved.appointment_date), zoned(4, '11:00'));
  assert.equal(moved.duration_minutes, 60);

  // Cancelled with the question in the row ("Keep it" first leaves it).
  await appointmentRow(booked.id).getByRole('button', { name: /^Cancel / }).click();
  await appointmentRow(booked.id).getByRole('button', { name: 'Keep it' }).click();
  assert.equal((await appointmentById(booked.id)).status, 'scheduled');
  await appointmentRow(booked.id).getByRole('button', { name: /^Cancel / }).click();
  await appointmentRow(booked.id).getByRole('button', { name: 'Yes, cancel' }).click();
  await textMatches('the cancelled line', page.locator('#appointments-status'), /^Cancelled /);
  assert.equal((await appointmentById(booked.id)).status, 'cancelled');
  await textMatches('the row says cancelled', appointmentRow(booked.id).locator('td[data-label="Status"]'), /^cancelled$/);
});

/** The audit rows on the page: action, actor id, text. */
const auditRows = () =>
  page.$$eval('#audit tbody tr', (trs) => trs.map((tr) => ({ id: Number(tr.dataset.id), action: tr.dataset.action, actor: tr.dataset.actorId, text: tr.textContent })));

test('(e) the audit log lists what the admin did; a filter; the CSV export', { timeout: 120_000 }, async () => {
  await page.setViewportSize(LAPTOP);
  await page.goto(`${h.base}/admin/audit.html`);
  const wanted = ['user_updated', 'user_deactivated', 'user_reactivated', 'password_reset_asked', 'booked', 'rescheduled', 'cancelled'];
  const all = await h.waitFor('the admin’s actions in the log', WAIT, async () => {
    const rows = await auditRows().catch(() => []);
    const mine = new Set(rows.filter((r) => r.actor === String(admin.id)).map((r) => r.action));
    return { ok: wanted.every((a) => mine.has(a)), detail: rows };
  });
  const ids = all.detail.map((r) => r.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  for (const action of wanted) {
    const r = all.detail.find((x) => x.action === action && x.actor === String(admin.id));
    // The log names its actor as the server records it (the e-mail, or the name).
    assert.ok(r.text.includes(admin.email) || r.text.includes(admin.name), `${action} names the admin: ${r.text}`);
  }
  assert.ok(all.detail.some((r) => r.action === 'booked' && r.text.includes(`#${booked.id}`)));

  await page.getByLabel('Action').selectOption('booked');
  await page.locator('#filters').getByRole('button', { name: 'Show' }).click();
  await h.waitFor('bookings only', WAIT, async () => {
    const rows = await auditRows();
    return { ok: rows.length >= 1 && rows.every((r) => r.action === 'booked'), detail: rows };
  });

  const download = page.waitForEvent('download', { timeout: WAIT });
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const file = await (await download).path();
  const csv = await readFile(file, 'utf8');
  assert.ok(csv.startsWith('id,at,actor_id'), csv.slice(0, 200));
  const lines = csv.trim().split(/\r?\n/).slice(1);
  assert.ok(lines.length >= 1, csv);
  assert.ok(lines.every((line) => line.includes(',booked,')), `the filter's entries only:\n${csv}`);
});

test('(f) attendance of a session nobody joined: no visits', { timeout: 60_000 }, async () => {
  await adminPage();
  const list = (await call('/api/appointments/', { token: admin.token })).body;
  const demo = list.find((a) => a.status === 'scheduled' && a.session_type === 'telehealth');
  assert.ok(demo, JSON.stringify(list));
  const row = appointmentRow(demo.id);
  await row.getByRole('button', { name: /^Attendance / }).click();
  await textMatches('the attendance', row.locator(`#attendance-${demo.id}`), /Nobody has joined this call\./);
  assert.equal(await row.locator(`#attendance-${demo.id} .visits li`).count(), 0);
  assert.equal(await row.locator(`#attendance-${demo.id} .no-show`).count(), 0);
  assert.match(await row.locator(`#attendance-${demo.id}`).textContent(), /together 0 s/);
});

test('(g) the three admin pages fit a 390×844 phone', { timeout: 90_000 }, async () => {
  await adminPage(PHONE);
  // With a form open in a card, and the booking form open.
  await personRow(patient.id).getByRole('button', { name: `Edit ${patient.name}` }).click();
  await page.getByText('Book for someone').click();
  const scheduled = page.locator('#appointments tr[data-status="scheduled"]').first();
  await scheduled.getByRole('button', { name: /^Reschedule / }).click();
  const pages = [['admin', null], ['notifications', '/admin/notifications.html'], ['audit', '/admin/audit.html']];
  for (const [name, path] of pages) {
    if (path) {
      await page.goto(`${h.base}${path}`);
      await h.waitFor(`the ${name} page's rows`, WAIT, async () => ({
        ok: (await page.locator('tbody tr').count()) >= 1,
        detail: await page.textContent('#status').catch(() => null),
      }));
    }
    const m = await overflow();
    assert.ok(m.scrollWidth <= m.innerWidth, `${name}: the page is ${m.scrollWidth}px wide in a ${m.innerWidth}px window`);
    assert.deepEqual(m.beyond, [], `${name}: boxes past the right edge`);
    assert.equal(await page.getAttribute('#admin-nav a[aria-current="page"]', 'href'), path || '/admin/');
    await page.screenshot({ path: `${h.artifacts}/admin-${name}-phone.png`, fullPage: true });
  }
});
