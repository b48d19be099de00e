// The admin pages. The dev outbox, as a clinic admin sees it: with no email or WhatsApp
// provider configured (the out-of-the-box run), the demo appointment's
// confirmations are kept, listed on the admin notifications page after
// signing in, and the page is closed to patients.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.mjs';

const h = new Harness();

before(async () => {
  await h.start();
});

after(async () => {
  await h.teardown();
});

test('admins see the dev outbox; patients are turned away', { timeout: 60_000 }, async () => {
  const admin = await h.browser('admin');
  // Opened signed out: the login page sends the admin back here.
  await admin.goto(`${h.base}/admin/notifications.html?via=dev`);
  await admin.waitForURL(/\/login\.html\?next=/);
  await h.signIn(admin, 'admin', '/admin/notifications.html?via=dev');
  await admin.waitForURL(/\/admin\/notifications\.html\?via=dev$/);
  const rows = await h.waitFor('the demo confirmations in the dev outbox', 20_000, async () => {
    const found = await admin.$$eval('#notifications tbody tr', (trs) =>
      trs.map((tr) => ({ stage: tr.dataset.stage, state: tr.dataset.state, text: tr.textContent })),
    );
    return { ok: found.length >= 3, detail: found };
  });
  const confirmations = rows.detail.filter((r) => r.stage === 'confirmation');
  // The patient by email and WhatsApp, the psychologist by email.
  assert.equal(confirmations.length, 3, JSON.stringify(rows.detail));
  assert.ok(confirmations.every((r) => r.state === 'sent' && r.text.includes('via dev')));
  assert.ok(confirmations.some((r) => r.text.includes('Your video appointment is booked')));
  await admin.screenshot({ path: `${h.artifacts}/admin-dev-outbox.png`, fullPage: true });

  const patient = await h.browser('patient', { viewport: { width: 360, height: 740 } });
  await h.signIn(patient, 'patient', '/admin/notifications.html');
  await patient.waitForURL(/\/admin\/notifications\.html$/);
  await h.waitFor('the refusal', 10_000, async () => {
    const status = await patient.textContent('#status');
    return { ok: /Only clinic admins/.test(status || ''), detail: status };
  });
  assert.equal(await patient.$$eval('#notifications tbody tr', (trs) => trs.length), 0);
  assert.equal(await patient.isVisible('#filters'), false, 'no admin forms for a patient');
  await patient.goto(`${h.base}/admin/`);
  await h.waitFor('the admin page refusal', 10_000, async () => {
    const status = await patient.textContent('#status');
    return { ok: /Only clinic admins/.test(status || ''), detail: status };
  });
  assert.equal(await patient.isVisible('#new-user'), false, 'no empty admin forms for a patient');
  assert.equal(await patient.isVisible('#users'), false);
});

test('admins see people and appointments, and add a person', { timeout: 60_000 }, async () => {
  const admin = await h.browser('admin-people');
  await h.signIn(admin, 'admin');
  await admin.waitForURL(`${h.base}/admin/`);
  await h.waitFor('the people and the demo appointment', 10_000, async () => {
    const people = await admin.$$eval('#users tbody tr', (trs) => trs.map((tr) => tr.textContent));
    const appointments = await admin.$$eval('#appointments tbody tr', (trs) => trs.map((tr) => tr.textContent));
    return { ok: people.length === 3 && appointments.length === 1, detail: { people, appointments } };
  });
  assert.match(await admin.textContent('#appointments tbody'), /Pat Patient.*Dr\. Smith.*video.*scheduled/s);
  await admin.click('summary');
  await admin.fill('#u-name', 'Dr. Lima');
  await admin.fill('#u-email', 'lima@clinic.test');
  await admin.selectOption('#u-role', 'psychologist');
  await admin.fill('#u-password', 'correct horse battery');
  await admin.fill('#u-zone', 'America/Sao_Paulo');
  await admin.click('#new-user button[type=submit]');
  await h.waitFor('the new psychologist listed', 10_000, async () => {
    const text = await admin.textContent('#users tbody');
    return { ok: /Dr\. Lima.*lima@clinic\.test.*psychologist.*America\/Sao_Paulo/s.test(text || ''), detail: text };
  });
  // A bad entry is refused with the field's problem.
  await admin.fill('#u-name', 'Nobody');
  await admin.fill('#u-email', 'not-an-email');
  await admin.fill('#u-password', 'short');
  await admin.click('#new-user button[type=submit]');
  await h.waitFor('the validation message', 10_000, async () => {
    const text = await admin.textContent('#user-error');
    return { ok: /email/.test(text || '') && /password/.test(text || ''), detail: text };
  });
  await admin.screenshot({ path: `${h.artifacts}/admin-people.png`, fullPage: true });
});
