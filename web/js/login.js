// The login page: signs in, then returns to ?next= (a reminder link opened
// while signed out) or the user's dashboard. It names the clinic, says what
// a reminder's link leads to (people arrive here from one not knowing why
// they are asked to sign in), asks for a password reset link, and offers
// sign-up when the clinic allows it.
import { ApiError, homePath, nextPath, publicApi, signIn } from './session.js';
import { dayAndTime } from './format.js';

const form = /** @type {HTMLFormElement} */ (document.getElementById('login'));
const error = /** @type {HTMLElement} */ (document.getElementById('error'));

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.hidden = true;
  const email = /** @type {HTMLInputElement} */ (form.elements.namedItem('email')).value.trim();
  const password = /** @type {HTMLInputElement} */ (form.elements.namedItem('password')).value;
  const button = /** @type {HTMLButtonElement} */ (form.querySelector('button'));
  button.disabled = true;
  try {
    const user = await signIn(email, password);
    location.assign(nextPath(homePath(user)));
  } catch (err) {
    error.textContent =
      err instanceof ApiError && err.status === 401
        ? 'Wrong email or password.'
        : err instanceof ApiError && err.status === 429
          ? `Too many attempts. Try again ${err.retryWhen()}.`
          : 'Could not sign in. Check your connection and try again.';
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});

/** The browser's own zone: nobody is signed in to say theirs. */
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The clinic's name in the heading and title; the sign-up offer. */
async function showClinic() {
  /** @type {{name: string, self_sign_up: boolean}} */
  let clinic;
  try {
    clinic = await publicApi('/api/clinic');
  } catch {
    return; // "Sign in" alone says enough; sign-up stays unoffered.
  }
  document.getElementById('title').textContent = `Sign in to ${clinic.name}`;
  document.title = `Sign in — ${clinic.name}`;
  if (clinic.self_sign_up) {
    const next = nextPath('');
    const link = /** @type {HTMLAnchorElement} */ (document.getElementById('sign-up-link'));
    if (next) link.href = `/sign-up?next=${encodeURIComponent(next)}`;
    document.getElementById('sign-up').hidden = false;
  }
}

/** For ?next=/video-session/{room}: when that session is. An unknown link
 *  (or no answer) adds nothing: the page is still the sign-in page. */
async function showInvitation() {
  const room = /^\/video-session\/([^/?#]+)/.exec(nextPath(''))?.[1];
  if (!room) return;
  /** @type {{starts_at: string, duration_minutes: number, status: string}} */
  let session;
  try {
    session = await publicApi(`/api/clinic/sessions/${encodeURIComponent(room)}`);
  } catch {
    return;
  }
  const when = dayAndTime(session.starts_at, zone);
  const ended = Date.parse(session.starts_at) + session.duration_minutes * 60_000 < Date.now();
  const invitation = document.getElementById('invitation');
  invitation.textContent =
    session.status === 'cancelled'
      ? `This link is for a video session on ${when} (cancelled). Sign in to see your appointments.`
      : ended
        ? `This link is for a video session on ${when}, which has ended. Sign in to see your appointments.`
        : `Sign in to join your video session on ${when}.`;
  invitation.hidden = false;
}

// Forgot password: a section of this page (the reset page's "ask for a new
// link" comes back to it as /login.html#forgot).
const forgot = document.getElementById('forgot');
const forgotLink = document.getElementById('forgot-link');
const forgotForm = /** @type {HTMLFormElement} */ (document.getElementById('forgot-form'));
const resetEmail = /** @type {HTMLInputElement} */ (document.getElementById('reset-email'));
const forgotError = document.getElementById('forgot-error');
const forgotSent = document.getElementById('forgot-sent');

function openForgot() {
  forgot.hidden = false;
  forgotLink.setAttribute('aria-expanded', 'true');
  // Whatever was typed to sign in is most likely the address.
  const typed = /** @type {HTMLInputElement} */ (form.elements.namedItem('email')).value.trim();
  if (typed && !resetEmail.value) resetEmail.value = typed;
  resetEmail.focus();
}

forgotLink.addEventListener('click', (event) => {
  event.preventDefault();
  openForgot();
});

forgotForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  forgotError.hidden = true;
  forgotSent.hidden = true;
  const email = resetEmail.value.trim();
  if (!email) {
    forgotError.textContent = 'Enter the e-mail address you sign in with.';
    forgotError.hidden = false;
    resetEmail.focus();
    return;
  }
  const button = /** @type {HTMLButtonElement} */ (forgotForm.querySelector('button'));
  button.disabled = true;
  try {
    /** @type {{message: string}} */
    const answer = await publicApi('/api/auth/password-reset', { method: 'POST', body: { email } });
    forgotSent.textContent = answer.message;
    forgotSent.hidden = false;
  } catch (err) {
    forgotError.textContent =
      err instanceof ApiError && err.status === 422
        ? "That isn't an e-mail address: check it and try again."
        : err instanceof ApiError && err.status === 429
          ? `Too many requests. Try again ${err.retryWhen()}, or use a link already sent.`
          : 'Could not ask for a link. Check your connection and try again.';
    forgotError.hidden = false;
  } finally {
    button.disabled = false;
  }
});

if (location.hash === '#forgot') openForgot();
// Marked when the page says all it will (tests wait on it, as people
// would wait for the page to settle).
Promise.all([showClinic(), showInvitation()]).finally(() => {
  document.body.dataset.ready = 'true';
});
