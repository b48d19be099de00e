// The sign-up page (/sign-up): patients create their own account when the
// clinic allows it (GET /api/clinic says), then go on to ?next= (the
// reminder link they came from) or their dashboard. Field problems show
// beside their fields; a taken address points to signing in or a reset.
import { ApiError, homePath, nextPath, publicApi, startSession } from './session.js';

const form = /** @type {HTMLFormElement} */ (document.getElementById('sign-up'));
const error = document.getElementById('error');
/** The form's fields by the API's names for them. */
const FIELDS = /** @type {const} */ ({ name: 'name', email: 'email', password: 'password', time_zone: 'time-zone', phone: 'phone' });
/** What a field is called before the server's problem ("must be …"). */
const LABELS = { name: 'Name', email: 'Email', password: 'Password', time_zone: 'Time zone', phone: 'Phone' };

/** Whom to ask for an account when sign-up is closed (GET /api/clinic names it). */
let clinicName = 'the clinic';
const next = nextPath('');
/** Links onward keep ?next=, so signing in instead still ends at the session. */
const withNext = (path) => (next ? `${path}?next=${encodeURIComponent(next)}` : path);
/** @type {HTMLAnchorElement} */ (document.getElementById('sign-in-link')).href = withNext('/login.html');

/** @param {string} id */
const input = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

/** The zones to choose from, the browser's own chosen: that is where
 *  the patient is now, most likely where they will be for sessions. */
function fillZones() {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  /** @type {string[]} */
  let zones = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    // An older browser: its own zone and UTC.
  }
  const all = [...new Set([...zones, own, 'UTC'])].sort();
  const select = /** @type {HTMLSelectElement} */ (document.getElementById('time-zone'));
  select.replaceChildren(...all.map((zone) => new Option(zone.replaceAll('_', ' '), zone, zone === own, zone === own)));
}

/** @param {string} name the clinic's */
function closed(name) {
  form.hidden = true;
  const text = document.getElementById('closed');
  text.textContent = `Ask ${name} to create your account.`;
  text.hidden = false;
}

async function showClinic() {
  try {
    /** @type {{name: string, self_sign_up: boolean}} */
    const clinic = await publicApi('/api/clinic');
    clinicName = clinic.name;
    document.getElementById('title').textContent = `Create an account at ${clinic.name}`;
    document.title = `Create an account — ${clinic.name}`;
    if (!clinic.self_sign_up) return closed(clinicName);
  } catch {
    // Unknown: the form, and the server's answer to it, will tell.
  }
  form.hidden = false;
}

/** @param {string} field the API's name @param {string|(string|Node)[]|null} problem */
function fieldProblem(field, problem) {
  const control = input(FIELDS[field]);
  const note = document.getElementById(`${FIELDS[field]}-error`);
  if (Array.isArray(problem)) note.replaceChildren(...problem);
  else note.textContent = problem || '';
  note.hidden = !problem;
  if (problem) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

/** @param {string} href @param {string} text */
function link(href, text) {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  return a;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.hidden = true;
  for (const field of Object.keys(FIELDS)) fieldProblem(field, null);
  const phone = input('phone').value.trim();
  const body = {
    name: input('name').value.trim(),
    email: input('email').value.trim(),
    password: input('password').value,
    time_zone: input('time-zone').value,
    phone: phone || undefined,
    whatsapp_opt_in: input('whatsapp').checked,
  };
  const button = /** @type {HTMLButtonElement} */ (form.querySelector('button'));
  button.disabled = true;
  try {
    const user = startSession(await publicApi('/api/auth/register', { method: 'POST', body }));
    location.assign(nextPath(homePath(user)));
  } catch (err) {
    showProblem(err);
  } finally {
    button.disabled = false;
  }
});

/** @param {unknown} err */
function showProblem(err) {
  if (!(err instanceof ApiError)) {
    error.textContent = 'Could not create the account. Check your connection and try again.';
    error.hidden = false;
    return;
  }
  if (err.status === 409) {
    fieldProblem('email', [
      'An account already uses this e-mail: ',
      link(withNext('/login.html'), 'sign in'),
      ' or ',
      link(`${withNext('/login.html')}#forgot`, 'reset your password'),
      '.',
    ]);
    input('email').focus();
    return;
  }
  if (err.status === 403) {
    closed(clinicName); // the clinic changed its mind since the page loaded
    return;
  }
  const known = Object.entries(err.fields).filter(([field]) => field in FIELDS);
  const other = Object.entries(err.fields).filter(([field]) => !(field in FIELDS));
  for (const [field, problem] of known) fieldProblem(field, `${LABELS[field]} ${problem}.`);
  if (known.length) input(FIELDS[known[0][0]]).focus();
  if (other.length || !known.length) {
    error.textContent =
      err.status === 429
        ? `Too many sign-ups from here. Try again ${err.retryWhen()}.`
        : other.length
          ? other.map(([field, problem]) => `${field.replace('_', ' ')} ${problem}`).join('; ')
          : `Could not create the account: ${err.message}`;
    error.hidden = false;
  }
}

fillZones();
// Marked when the page knows whether it takes sign-ups (tests wait on it).
showClinic().finally(() => {
  document.body.dataset.ready = 'true';
});
