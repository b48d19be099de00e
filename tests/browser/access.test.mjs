// Getting in: the sign-in page names the clinic and says what a reminder's
// link leads to (the day of the session, or that it was cancelled); a
// forgotten password is reset from the page through the e-mailed link
// (read from the dev outbox in the server's log), which works once and
// signs in; a patient signs up from the page and lands on the dashboard,
// a taken address is told to sign in or reset; a clinic without self
// sign-up says whom to ask. The three pages fit a phone (390×844).
//
//   TEST_CONFIDE_BIN=$PWD/target/debug/confide node --test tests/browser/access.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, freePort } from './harness.mjs';

const h = new Harness();
const CLINIC = 'Confide Demo Clinic';
const PHONE = { width: 390, height: 844 };
const DAY = 24 * 3600_000;
const NEW_PASSWORD = 'a much newer passphrase';
const NOA = { name: 'Noa Newcomer', email: 'noa.access@clinic.test', password: 'correct horse battery' };

/** The demo patient's appointment three days ahead; another, cancelled. */
let ahead;
let cancelled;

before(async () => {
  // Links in e-mails start with app.public_url: this server's own address
  // here, so the reset link from the dev outbox opens as it is.
  const port = await freePort('tcp');
  await h.start(`[app]\npublic_url = "http://127.0.0.1:${port}"\n\n[notifications]\nclinic_name = "${CLINIC}"\n`, { httpPort: port });
  const admin = await login(h.accounts.admin.email, h.accounts.admin.password);
  const [doctor] = (await call('/api/users/?role=psychologist', { token: admin })).body;
  const patient = await login(h.accounts.patient.email, h.accounts.patient.password);
  const book = async (days) => {
    const booked = await call('/api/appointments/', {
      token: patient,
      method: 'POST',
      body: { psychologist_id: doctor.id, appointment_date: utcDay(days, 15, 30), duration_minutes: 50 },
    });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    return booked.body;
  };
  ahead = await book(3);
  cancelled = await book(4);
  const cancel = await call(`/api/appointments/${cancelled.id}/cancel/`, { token: admin, method: 'POST' });
  assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
});

after(async () => {
  await h.teardown();
});

async function call(path, { token, method = 'GET', body, base = h.base } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const login = (email, password) => h.login(email, password);

/** `hours:minutes` UTC on the day `days` from today, as ISO 8601. */
function utcDay(days, hours, minutes) {
  const day = new Date(Date.now() + days * DAY);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hours, minutes)).toISOString();
}

/** "Thursday", "December 10" or the like, and "3:30 PM": `iso` in the
 *  browser's words and zone, as the pages write it. */
function browserWords(page, iso) {
  return page.evaluate((iso) => {
    const date = new Date(iso);
    return {
      weekday: new Intl.DateTimeFormat(undefined, { weekday: 'long' }).format(date),
      day: new Intl.DateTimeFormat(undefined, { day: 'numeric' }).format(date),
      time: new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }).format(date),
    };
  }, iso);
}

/** Waits until the page has said all it will (login.js and sign-up.js
 *  mark the body once the clinic, and a link's session, are known). */
async function settled(page) {
  await page.locator('body[data-ready="true"]').waitFor({ timeout: 15_000 });
}

/** The server's log without colour codes. */
const serverLog = () => h.serverLog.join('').replace(/\x1b\[[0-9;]*m/g, '');

test('the sign-in page names the clinic and the session a link leads to', { timeout: 60_000 }, async () => {
  const page = await h.browser('visitor');
  await page.goto(`${h.base}/login.html?next=${encodeURIComponent(`/video-session/${ahead.video_room_id}`)}`);
  await page.getByRole('heading', { name: `Sign in to ${CLINIC}` }).waitFor();
  assert.match(await page.title(), new RegExp(CLINIC));
  await settled(page);
  const words = await browserWords(page, ahead.appointment_date);
  const invitation = (await page.locator('#invitation').textContent()).trim();
  assert.ok(invitation.startsWith(`Sign in to join your video session on ${words.weekday}, `), `${invitation}\n(${JSON.stringify(words)})`);
  assert.ok(invitation.includes(` ${words.day}`), invitation);
  assert.ok(invitation.endsWith(` at ${words.time}.`), invitation);
  // Sign-up keeps where the link leads.
  const signUp = page.getByRole('link', { name: 'Create an account' });
  assert.equal(await signUp.getAttribute('href'), `/sign-up?next=${encodeURIComponent(`/video-session/${ahead.video_room_id}`)}`);

  // A cancelled session says so.
  await page.goto(`${h.base}/login.html?next=/video-session/${cancelled.video_room_id}`);
  await settled(page);
  const words2 = await browserWords(page, cancelled.appointment_date);
  const text = await page.locator('#invitation').textContent();
  assert.ok(text.includes(`on ${words2.weekday}, `) && text.includes(`at ${words2.time} (cancelled)`), text);
  assert.doesNotMatch(text, /join your video session/);

  // A link to nothing adds nothing.
  await page.goto(`${h.base}/login.html?next=/video-session/apt-0-000000000000`);
  await settled(page);
  assert.equal(await page.locator('#invitation').isVisible(), false);
  assert.equal(await page.getByRole('heading', { name: `Sign in to ${CLINIC}` }).isVisible(), true);
  await h.closeBrowser('visitor');
});

test('a forgotten password: the link from the e-mail sets a new one, once, and signs in', { timeout: 90_000 }, async () => {
  const { email, password: old } = h.accounts.patient;
  const page = await h.browser('forgetful');
  // The page's own clock, to hold the confirmation on screen while it is read.
  await page.clock.install();
  await page.goto(`${h.base}/login.html`);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  const forgot = page.getByRole('region', { name: 'Set a new password' });
  // An address that isn't one is told so.
  await forgot.getByLabel('Email').fill('not an address');
  await forgot.getByRole('button', { name: 'E-mail me a link' }).click();
  await forgot.getByRole('alert').filter({ hasText: "isn't an e-mail address" }).waitFor();
  await forgot.getByLabel('Email').fill(email);
  await forgot.getByRole('button', { name: 'E-mail me a link' }).click();
  await forgot.getByRole('status').filter({ hasText: 'If an account uses that address, an e-mail with a link' }).waitFor();
  assert.equal(await forgot.getByRole('alert').isVisible(), false);

  // The dev outbox writes the e-mail to the log.
  const found = await h.waitFor('the reset e-mail in the dev outbox', 20_000, async () => {
    const log = serverLog();
    const at = log.lastIndexOf('dev outbox (no SMTP configured)');
    const link = at < 0 ? null : /(https?:\/\/\S+\/reset-password#token=[0-9a-f]+)/.exec(log.slice(at))?.[1];
    return { ok: Boolean(link), detail: link || log.slice(-2000) };
  });
  const link = found.detail;
  assert.ok(link.startsWith(`${h.base}/reset-password#token=`), link);

  await page.goto(link);
  const fresh = page.getByLabel('New password', { exact: true });
  await fresh.waitFor();
  // The secret is out of the address bar (and so out of history).
  await h.waitFor('the token to leave the address', 10_000, async () => ({ ok: !page.url().includes('token'), detail: page.url() }));
  assert.equal(await page.evaluate(() => location.hash), '');

  // Typed twice, the same; long enough.
  await fresh.fill(NEW_PASSWORD);
  await page.getByLabel('Repeat the new password').fill('something else entirely');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByText('The two passwords differ').waitFor();
  await fresh.fill('short');
  await page.getByLabel('Repeat the new password').fill('short');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByText('Password must be at least 10 characters.').waitFor();
  assert.equal(await fresh.getAttribute('aria-invalid'), 'true');

  await fresh.fill(NEW_PASSWORD);
  await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
  await page.clock.pauseAt(Date.now() + 60_000);
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByRole('status').filter({ hasText: "Your new password is set and you're signed in" }).waitFor();
  await page.clock.resume();
  await page.waitForURL(`${h.base}/`, { timeout: 20_000 });
  await page.getByRole('heading', { name: 'Your appointments' }).waitFor();
  await h.waitFor('the signed-in name in the bar', 10_000, async () => {
    const who = await page.locator('#who').textContent();
    return { ok: who === 'Pat Patient (patient)', detail: who };
  });

  assert.equal((await call('/api/auth/login', { method: 'POST', body: { email, password: old } })).status, 401, 'the old password no longer signs in');
  await login(email, NEW_PASSWORD);

  // The link works once.
  await page.goto(link);
  await page.getByLabel('New password', { exact: true }).fill('yet another passphrase');
  await page.getByLabel('Repeat the new password').fill('yet another passphrase');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  const used = page.getByRole('alert').filter({ hasText: 'This link has expired or was already used' });
  await used.waitFor();
  assert.equal(await used.getByRole('link', { name: 'Ask for a new link' }).getAttribute('href'), '/login.html#forgot');
  await login(email, NEW_PASSWORD);
  // It leads back to the form that asks.
  await used.getByRole('link', { name: 'Ask for a new link' }).click();
  await page.getByRole('region', { name: 'Set a new password' }).getByLabel('Email').waitFor();
  await h.closeBrowser('forgetful');
});

test('asking for reset links too often is told when to try again', { timeout: 60_000 }, async () => {
  const page = await h.browser('insistent');
  await page.goto(`${h.base}/login.html#forgot`);
  const forgot = page.getByRole('region', { name: 'Set a new password' });
  await forgot.getByLabel('Email').fill('nobody.access@clinic.test');
  const ask = forgot.getByRole('button', { name: 'E-mail me a link' });
  // Three links an hour to one address, whoever asks (and whether or not
  // an account uses it); the fourth is refused for 20 minutes.
  for (let i = 0; i < 3; i++) {
    await ask.click();
    await forgot.getByRole('status').filter({ hasText: 'If an account uses that address' }).waitFor();
  }
  await ask.click();
  const refused = forgot.getByRole('alert');
  await refused.waitFor();
  assert.match(await refused.textContent(), /^Too many requests\. Try again in \d+ minutes, or use a link already sent\.$/);
  assert.equal(await forgot.getByRole('status').isVisible(), false);
  await h.closeBrowser('insistent');
});

test('a patient signs up from the page; a taken address is told to sign in or reset', { timeout: 90_000 }, async () => {
  const page = await h.browser('newcomer');
  await page.goto(`${h.base}/sign-up`);
  await page.getByRole('heading', { name: `Create an account at ${CLINIC}` }).waitFor();
  await settled(page);
  const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  assert.equal(await page.getByLabel('Time zone').inputValue(), zone, "the browser's zone is chosen");

  await page.getByLabel('Your name').fill(NOA.name);
  await page.getByLabel('Email').fill(NOA.email);
  await page.getByLabel('Password').fill('short');
  await page.getByLabel('Mobile phone').fill('+14155550123');
  await page.getByLabel('Send me reminders on WhatsApp too').check();
  await page.getByRole('button', { name: 'Create the account' }).click();
  // The problem beside its field.
  const problem = page.locator('#password-error');
  await problem.waitFor();
  assert.equal(await problem.textContent(), 'Password must be at least 10 characters.');

  await page.getByLabel('Password').fill(NOA.password);
  await page.getByRole('button', { name: 'Create the account' }).click();
  await page.waitForURL(`${h.base}/`, { timeout: 20_000 });
  await page.getByRole('heading', { name: 'Your appointments' }).waitFor();
  await h.waitFor('the signed-in name in the bar', 10_000, async () => {
    const who = await page.locator('#who').textContent();
    return { ok: who === `${NOA.name} (patient)`, detail: who };
  });
  const me = await call('/api/me', { token: await login(NOA.email, NOA.password) });
  assert.equal(me.body.time_zone, zone, JSON.stringify(me.body));
  assert.equal(me.body.whatsapp_opt_in, true, JSON.stringify(me.body));

  // The same address again, coming from a reminder's link.
  const again = await h.browser('again');
  const next = `/video-session/${ahead.video_room_id}`;
  await again.goto(`${h.base}/sign-up?next=${encodeURIComponent(next)}`);
  await settled(again);
  await again.getByLabel('Your name').fill('Noa Again');
  await again.getByLabel('Email').fill(NOA.email);
  await again.getByLabel('Password').fill('another long passphrase');
  await again.getByRole('button', { name: 'Create the account' }).click();
  const taken = again.getByText('An account already uses this e-mail: sign in or reset your password');
  await taken.waitFor();
  const signIn = `/login.html?next=${encodeURIComponent(next)}`;
  assert.equal(await taken.getByRole('link', { name: 'sign in' }).getAttribute('href'), signIn);
  assert.equal(await taken.getByRole('link', { name: 'reset your password' }).getAttribute('href'), `${signIn}#forgot`);
  assert.equal(await again.getByLabel('Email').getAttribute('aria-invalid'), 'true');
  await h.closeBrowser('again');
  await h.closeBrowser('newcomer');
});

test('a clinic that makes accounts itself says whom to ask', { timeout: 60_000 }, async () => {
  const closed = new Harness();
  try {
    await closed.start('[app]\nself_sign_up = false\n\n[notifications]\nclinic_name = "Harbour Therapy"\n');
    const page = await closed.browser('turned-away');
    await page.goto(`${closed.base}/sign-up`);
    await settled(page);
    assert.equal(await page.getByText('Ask Harbour Therapy to create your account.').isVisible(), true);
    assert.equal(await page.getByRole('textbox').count(), 0, 'no form');
    assert.equal(await page.getByRole('button').count(), 0, 'no form');
    await page.goto(`${closed.base}/login.html`);
    await settled(page);
    assert.equal(await page.getByRole('heading', { name: 'Sign in to Harbour Therapy' }).isVisible(), true);
    assert.equal(await page.getByRole('link', { name: 'Create an account' }).isVisible(), false, 'no sign-up offered');
  } finally {
    await closed.teardown();
  }
});

test('the sign-in, sign-up and reset pages fit a phone', { timeout: 60_000 }, async () => {
  const page = await h.browser('phone', { viewport: PHONE });
  const pages = [
    // Everything the sign-in page can show at once.
    ['sign-in', `/login.html?next=/video-session/${ahead.video_room_id}#forgot`],
    ['sign-up', '/sign-up'],
    ['reset', '/reset-password#token=0123abcd'],
  ];
  for (const [name, path] of pages) {
    await page.goto(`${h.base}${path}`);
    await page.locator('main h1').waitFor();
    if (name !== 'reset') await settled(page);
    const m = await measure(page);
    assert.ok(m.scrollWidth <= m.innerWidth, `${name}: the page is ${m.scrollWidth}px wide in a ${m.innerWidth}px window`);
    assert.deepEqual(m.beyond, [], `${name}: boxes past the right edge`);
    assert.deepEqual(m.unlabelled, [], `${name}: inputs without a label`);
    assert.ok(m.barHeight < 2 * 44, `${name}: the header is ${m.barHeight}px tall: one row is about 61px`);
    await page.screenshot({ path: `${h.artifacts}/access-${name}-phone.png`, fullPage: true });
  }
  // What password managers and phones' keyboards go by.
  await page.goto(`${h.base}/sign-up`);
  await settled(page);
  const autocomplete = (label) => page.getByLabel(label).getAttribute('autocomplete');
  assert.deepEqual(
    [await autocomplete('Your name'), await autocomplete('Email'), await autocomplete('Password'), await autocomplete('Mobile phone')],
    ['name', 'email', 'new-password', 'tel'],
  );
  await h.closeBrowser('phone');
});

/** Measured in the page: its width, every rendered box past the window's
 *  right edge (after clipping by overflow-hidden ancestors, as
 *  layout.test.mjs measures), visible inputs without a label, and the
 *  header bar's height. */
function measure(page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const describe = (node) => `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ''}`;
    const beyond = [];
    for (const node of document.body.querySelectorAll('*')) {
      const box = node.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || getComputedStyle(node).visibility === 'hidden') continue;
      let right = box.right;
      for (let up = node.parentElement; up && up !== document.body; up = up.parentElement) {
        const overflow = getComputedStyle(up).overflowX;
        if (overflow === 'hidden' || overflow === 'clip') right = Math.min(right, up.getBoundingClientRect().right);
      }
      if (right > width + 0.5) beyond.push(`${describe(node)} reaches ${Math.round(right)}px`);
    }
    const unlabelled = [...document.querySelectorAll('input, select')]
      .filter((input) => input.getClientRects().length && !(input.labels && input.labels.length))
      .map(describe);
    const bar = /** @type {HTMLElement} */ (document.querySelector('body > header.bar'));
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: width, beyond, unlabelled, barHeight: bar ? bar.offsetHeight : Infinity };
  });
}
