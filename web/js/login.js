// The login page: signs in, then returns to ?next= (a reminder link opened
// while signed out) or the user's dashboard.
import { ApiError, nextPath, signIn } from './session.js';

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
    location.assign(nextPath(user.role === 'admin' ? '/admin/' : '/'));
  } catch (err) {
    error.textContent =
      err instanceof ApiError && err.status === 401
        ? 'Wrong email or password.'
        : err instanceof ApiError && err.status === 429
          ? 'Too many attempts. Wait a minute and try again.'
          : 'Could not sign in. Check your connection and try again.';
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});
