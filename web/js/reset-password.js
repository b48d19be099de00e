// The page a reset e-mail's link opens (/reset-password#token=…): choose a
// new password, which signs in here (and out everywhere else), then on to
// the user's pages. The secret is in the fragment, so it never reaches a
// server log; this page takes it out of the address too, so it isn't left
// in the browser's history, and keeps it for this tab alone in case the
// page is reloaded before the form is sent.
import { ApiError, homePath, publicApi, startSession } from './session.js';

const KEY = 'confide.reset-token';
/** How long the confirmation shows before the user's pages open. */
const CONFIRMATION_MS = 1500;

const form = /** @type {HTMLFormElement} */ (document.getElementById('reset'));
const password = /** @type {HTMLInputElement} */ (document.getElementById('password'));
const repeat = /** @type {HTMLInputElement} */ (document.getElementById('repeat'));
const error = document.getElementById('error');
const done = document.getElementById('done');

/** The link's secret: from the address (then out of it), else the one this
 *  tab was opened with. @returns {string|null} */
function takeToken() {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) history.replaceState(history.state, '', location.pathname + location.search);
  try {
    if (fromLink) sessionStorage.setItem(KEY, fromLink);
    return fromLink || sessionStorage.getItem(KEY);
  } catch {
    return fromLink; // storage refused (a private mode): the link alone
  }
}

function forgetToken() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing was kept.
  }
}

/** @param {HTMLInputElement} input @param {string|null} problem */
function fieldProblem(input, problem) {
  const note = document.getElementById(`${input.id}-error`);
  note.textContent = problem || '';
  note.hidden = !problem;
  if (problem) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** @param {string} text @param {{href: string, label: string}} [link] */
function showError(text, link) {
  error.replaceChildren(text);
  if (link) {
    const a = document.createElement('a');
    a.href = link.href;
    a.textContent = link.label;
    error.append(' ', a);
  }
  error.hidden = false;
}

const token = takeToken();
if (!token) {
  form.hidden = true;
  document.getElementById('no-link').hidden = false;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.hidden = true;
  fieldProblem(password, null);
  fieldProblem(repeat, null);
  if (!password.value) {
    fieldProblem(password, 'Choose a new password.');
    password.focus();
    return;
  }
  // Typed twice because nobody can see what they typed.
  if (password.value !== repeat.value) {
    fieldProblem(repeat, "The two passwords differ: type the same one twice.");
    repeat.focus();
    return;
  }
  const button = /** @type {HTMLButtonElement} */ (form.querySelector('button'));
  button.disabled = true;
  try {
    const user = startSession(
      await publicApi('/api/auth/password-reset/complete', { method: 'POST', body: { token, password: password.value } }),
    );
    forgetToken();
    form.hidden = true;
    const home = homePath(user);
    const link = document.createElement('a');
    link.href = home;
    link.textContent = 'Go on now';
    done.replaceChildren(
      `Your new password is set and you're signed in. Taking you to ${user.role === 'admin' ? 'the admin page' : 'your appointments'}… `,
      link,
    );
    done.hidden = false;
    // A moment to read it; replace: the used link's page is no place to go back to.
    setTimeout(() => location.replace(home), CONFIRMATION_MS);
  } catch (err) {
    if (err instanceof ApiError && err.status === 410) {
      forgetToken();
      form.hidden = true;
      const message = err.message.charAt(0).toUpperCase() + err.message.slice(1);
      showError(`${message}.`, { href: '/login.html#forgot', label: 'Ask for a new link' });
    } else if (err instanceof ApiError && err.status === 422 && err.fields.password) {
      fieldProblem(password, `Password ${err.fields.password}.`);
      password.focus();
    } else if (err instanceof ApiError && err.status === 429) {
      showError(`Too many attempts from here. Try again ${err.retryWhen()}.`);
    } else if (err instanceof ApiError && err.status === 422) {
      showError(Object.entries(err.fields).map(([f, p]) => `${f.replace('_', ' ')} ${p}`).join('; ') || err.message);
    } else {
      showError('Could not set the password. Check your connection and try again.');
    }
  } finally {
    button.disabled = false;
  }
});
