// The dev outbox, as a clinic admin sees it: with no email or WhatsApp
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
});
