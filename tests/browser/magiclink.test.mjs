// A reminder's one-time sign-in link (app.magic_links): the demo patient
// opens the link from their confirmation (read from the dev outbox in the
// server's log) in a browser where nobody is signed in, and lands in the
// session's waiting room, signed in for that session only; the same link
// a second time says it was used.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, freePort } from './harness.mjs';

const h = new Harness();

before(async () => {
  // Links in messages start with app.public_url: this server's address.
  const port = await freePort('tcp');
  await h.start(`[app]\npublic_url = "http://127.0.0.1:${port}"\nmagic_links = true\n`, { httpPort: port });
});

after(async () => {
  await h.teardown();
});

const serverLog = () => h.serverLog.join('').replace(/\x1b\[[0-9;]*m/g, '');

async function videoState(page) {
  return page.evaluate(() => (window.confideVideo ? window.confideVideo.state : null)).catch(() => null);
}

test('a reminder link signs the patient into their session once, and into nothing else', { timeout: 120_000 }, async () => {
  // The demo appointment's confirmation to the patient carries the link.
  const { detail: link } = await h.waitFor('the patient\'s link in the dev outbox', 30_000, async () => {
    const found = serverLog().match(/http:\/\/127\.0\.0\.1:\d+\/video-session\/[\w-]+#key=[0-9a-f]{64}/);
    return { ok: !!found, detail: found ? found[0] : null };
  });
  const path = link.replace(/^http:\/\/127\.0\.0\.1:\d+/, '').split('#')[0];

  const patient = await h.browser('link-patient');
  await patient.goto(link.replace(/^http:\/\/127\.0\.0\.1:\d+/, h.base));
  await h.waitFor('the patient in the waiting room', 30_000, async () => {
    const state = await videoState(patient);
    return { ok: state === 'lobby', detail: { state, text: await patient.textContent('#message-text').catch(() => null) } };
  });
  assert.equal(patient.url(), `${h.base}${path}`, 'the key leaves the address bar');
  assert.match(await patient.textContent('#message-text'), /Dr\. Smith will let you in shortly/);
  // Signed in for this session only.
  const answers = await patient.evaluate(async () => {
    const { api } = await import('/js/session.js');
    const status = async (p) => api(p).then(() => 200, (e) => e.status);
    return { me: await status('/api/me'), list: await status('/api/appointments/') };
  });
  assert.deepEqual(answers, { me: 200, list: 403 });
  assert.deepEqual(
    await patient.evaluate(() => [...document.querySelectorAll('#message-actions a')].map((a) => a.textContent)),
    ['Test camera & mic meanwhile', 'Sign in to see all your appointments'],
  );

  // Once only: the same link in another browser.
  const again = await h.browser('link-again');
  await again.goto(link.replace(/^http:\/\/127\.0\.0\.1:\d+/, h.base));
  await h.waitFor('the used link to say so', 30_000, async () => {
    const state = await videoState(again);
    return { ok: state === 'link-used', detail: state };
  });
  assert.match(await again.textContent('#message-text'), /used already or has expired/);
  assert.equal(await again.getAttribute('#message-actions a', 'href'), `/login.html?next=${encodeURIComponent(path)}`);
  await h.closeBrowser('link-again');
  await h.closeBrowser('link-patient');
});
