// Rescheduling and cancelling from an appointment card, under the clinic's
// policy. The server decides who may do what and says why not, per
// appointment and caller (`can_reschedule`, `reschedule_needs_approval`,
// `can_cancel`, `change_blocked_reason`, `change_request`): the card shows
// that answer rather than working the rules out again here, so the page and
// the API cannot disagree (and the policy can change without this file).
//
// A patient's move is, by default, a request the psychologist approves: the
// patient's card says it waits (and can withdraw it), the psychologist's
// offers Approve and Decline.
//
// After a change the dashboard reloads its lists (a move can change a
// card's place, day or section) and says what happened in its status line:
// the card that held the button may be gone by then.
//
// Nothing runs on import.

import { api, ApiError } from './session.js';
import { dayAndTime, zonedToUtc } from './format.js';
import { changeMessages, el, firstName, sentence, timeAndLength } from './appointments.js';

/** The lengths the booking form offers (index.html), in minutes. */
const LENGTHS = [50, 30, 60, 90];

/**
 * What a card's controls hand to the page once the server answered: the
 * appointment's id and either what happened (`message`) or a refusal to
 * show on the reloaded card (`error`: the server's own words).
 * @typedef {{id: number, message?: string, error?: string}} Outcome
 * @typedef {(outcome: Outcome) => Promise<void>} OnChanged
 */

/**
 * The form or the question a card's button opens: its element, what takes
 * focus in it, and what its own Close / Keep it does (set by the card).
 * @typedef {{node: HTMLElement, first: () => HTMLElement, onClose: () => void}} Panel
 */

/**
 * Sends one change (`send`); `message` words the server's answer; `stay`:
 * refusals that leave the card as it is.
 * @typedef {(send: () => Promise<any>, message: (b: any) => string, stay?: number[]) => Promise<void>} Act
 */

/**
 * An instant as a `datetime-local` value (YYYY-MM-DDTHH:MM), the wall
 * clock in `timeZone`: the reschedule form starts from the session's
 * current time in the user's zone, which `zonedToUtc` reads back.
 * @param {string} iso
 * @param {string} timeZone
 */
export function zonedInputValue(iso, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** An API failure in words for the card: the server's own (it words a
 *  clash in the user's zone), or a connection problem. */
function problem(err) {
  if (!(err instanceof ApiError)) return 'Could not reach Confide: check your connection and try again.';
  const fields = Object.entries(err.fields);
  if (fields.length) return fields.map(([f, p]) => sentence(`${f.replace('_', ' ')} ${p}`)).join(' ');
  return sentence(err.message);
}

/**
 * The change controls of one appointment card, for `user`: the waiting
 * request with its buttons, Reschedule and Cancel (or why not), and the
 * inline reschedule form and cancel confirmation they open. `onChanged` is
 * the page's: it reloads the lists and reports.
 * @param {any} a the API's appointment
 * @param {any} user the signed-in user
 * @param {OnChanged} onChanged
 * @returns {HTMLElement}
 */
export function changeControls(a, user, onChanged) {
  const box = el('div', { class: 'changes' });
  const error = el('p', { class: 'error change-error', role: 'alert' });
  /** Buttons to disable while a request is on its way (no double sends). */
  const busy = (on) => {
    box.setAttribute('aria-busy', String(on));
    for (const b of box.querySelectorAll('button')) /** @type {HTMLButtonElement} */ (b).disabled = on;
  };

  /**
   * Sends one change; on success the page reloads and reports. A refusal
   * means the appointment changed under us (cancelled, moved into the
   * cutoff, a request withdrawn): the page reloads, and the fresh card says
   * why. `stay` lists statuses that leave things as they were (a clash:
   * the user picks another time in the open form).
   * @type {Act}
   */
  const act = async (send, message, stay = []) => {
    error.textContent = '';
    busy(true);
    let b;
    try {
      b = await send();
    } catch (err) {
      busy(false);
      const words = problem(err);
      if (err instanceof ApiError && !stay.includes(err.status)) {
        await onChanged({ id: a.id, error: words });
      } else {
        error.textContent = words;
      }
      return;
    }
    await onChanged({ id: a.id, message: message(b) });
    busy(false); // the page has drawn a new card; this one is gone or stale
  };
  const path = `/api/appointments/${a.id}/`;

  if (a.change_request) box.append(waitingRequest(a, user, act, path));

  const scheduled = a.status === 'scheduled';
  const canMove = scheduled && a.can_reschedule;
  const canCancel = scheduled && a.can_cancel;
  // Why a button is missing. A cancelled card already says "Cancelled".
  if (scheduled && a.change_blocked_reason && !(canMove && canCancel)) {
    box.append(el('p', { class: 'muted change-blocked' }, [sentence(a.change_blocked_reason)]));
  }
  if (!canMove && !canCancel) {
    box.append(error);
    return box;
  }

  const heading = `when-${a.id}`;
  const row = el('div', { class: 'actions' });
  const form = canMove ? rescheduleForm(a, user, act, path, error) : null;
  const confirm = canCancel ? cancelConfirmation(a, user, act, path) : null;
  /** @type {HTMLButtonElement|null} */
  let move = null;
  /** @type {HTMLButtonElement|null} */
  let cancel = null;
  /** Opens one of the form and the confirmation (or neither), and says so
   *  on the buttons; the page holds its refreshes while one is open. */
  /** @param {HTMLElement|null} which */
  const show = (which) => {
    for (const [panel, button] of [[form, move], [confirm, cancel]]) {
      if (!panel || !button) continue;
      const open = panel.node === which;
      const was = !panel.node.hidden;
      panel.node.hidden = !open;
      button.setAttribute('aria-expanded', String(open));
      // Into what opened; back to its button when all is closed.
      if (open && !was) panel.first().focus();
      if (!open && was && !which) button.focus();
    }
    box.toggleAttribute('data-open', Boolean(which));
    error.textContent = '';
  };
  if (form) {
    move = /** @type {HTMLButtonElement} */ (
      el('button', { type: 'button', class: 'reschedule', 'aria-controls': form.node.id, 'aria-expanded': 'false', 'aria-describedby': heading }, [
        a.reschedule_needs_approval ? 'Ask to reschedule' : 'Reschedule',
      ])
    );
    move.addEventListener('click', () => show(form.node.hidden ? form.node : null));
    form.onClose = () => show(null);
    row.append(move);
  }
  if (confirm) {
    cancel = /** @type {HTMLButtonElement} */ (
      el('button', { type: 'button', class: 'cancel', 'aria-controls': confirm.node.id, 'aria-expanded': 'false', 'aria-describedby': heading }, ['Cancel session'])
    );
    cancel.addEventListener('click', () => show(confirm.node.hidden ? confirm.node : null));
    confirm.onClose = () => show(null);
    row.append(cancel);
  }
  box.append(row);
  if (form) box.append(form.node);
  if (confirm) box.append(confirm.node);
  box.append(error);
  // Escape puts an open form or question away, as a dialog would.
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && box.hasAttribute('data-open')) {
      event.preventDefault();
      show(null);
    }
  });
  return box;
}

/**
 * The line about a move the patient asked for: the patient may withdraw
 * it, the psychologist approve or decline it (`can_approve`).
 * @param {any} a @param {any} user @param {Act} act @param {string} path
 */
function waitingRequest(a, user, act, path) {
  const r = a.change_request;
  const at = timeAndLength(r.appointment_date, r.duration_minutes, a.duration_minutes, user.time_zone);
  const id = `request-${a.id}`;
  const line = r.can_approve
    ? `${firstName(a.patient.name)} asks to move this to ${at}.`
    : `You asked to move this to ${at} — waiting for ${a.psychologist.name}.`;
  const button = (label, run) => {
    const b = el('button', { type: 'button', 'aria-describedby': id }, [label]);
    b.addEventListener('click', run);
    return b;
  };
  const buttons = r.can_approve
    ? [
        button('Approve', () =>
          act(() => api(`${path}change-request/approve/`, { method: 'POST' }), (b) => changeMessages.approved(a, b, user)),
        ),
        button('Decline', () =>
          act(() => api(`${path}change-request/decline/`, { method: 'POST' }), (b) => changeMessages.declined(a, b, user)),
        ),
      ]
    : [
        button('Withdraw', () =>
          act(() => api(`${path}change-request/decline/`, { method: 'POST' }), (b) => changeMessages.withdrawn(a, b, user)),
        ),
      ];
  return el('div', { class: 'change-request' }, [el('p', { id }, [line]), el('div', { class: 'actions' }, buttons)]);
}

/**
 * The inline reschedule form: a date and time in the user's zone (the
 * session's current one to start from) and a length, as the booking form.
 * A patient's move is sent as a request when the policy says so; the
 * server's answer tells which it was (a move ends any waiting request).
 * @param {any} a @param {any} user @param {Act} act @param {string} path
 * @param {HTMLElement} error the card's alert line
 * @returns {Panel}
 */
function rescheduleForm(a, user, act, path, error) {
  const whenId = `move-when-${a.id}`;
  const lengthId = `move-length-${a.id}`;
  const input = /** @type {HTMLInputElement} */ (
    el('input', { id: whenId, type: 'datetime-local', required: '', value: zonedInputValue(a.appointment_date, user.time_zone) })
  );
  const lengths = LENGTHS.includes(a.duration_minutes) ? LENGTHS : [a.duration_minutes, ...LENGTHS];
  const length = /** @type {HTMLSelectElement} */ (
    el('select', { id: lengthId }, lengths.map((m) => el('option', { value: String(m) }, [`${m} minutes`])))
  );
  length.value = String(a.duration_minutes);
  const asking = a.reschedule_needs_approval;
  const close = el('button', { type: 'button' }, ['Close']);
  const title = asking ? `Ask ${a.psychologist.name} for a new time` : 'Move this session';
  const node = /** @type {HTMLFormElement} */ (
    el('form', { id: `move-${a.id}`, class: 'change-form', novalidate: '', 'aria-label': title, hidden: '' }, [
      el('label', { for: whenId }, ['New date and time ', el('span', { class: 'muted' }, [`(${user.time_zone} time)`])]),
      input,
      el('label', { for: lengthId }, ['Length']),
      length,
      asking ? el('p', { class: 'muted change-hint' }, [`${a.psychologist.name} approves the new time; until then the session stays as it is.`]) : '',
      el('div', { class: 'actions' }, [el('button', { type: 'submit', class: 'primary' }, [asking ? 'Send request' : 'Move session']), close]),
    ])
  );
  const form = { node, first: () => input, onClose: () => {} };
  close.addEventListener('click', () => form.onClose());
  node.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!input.value) {
      error.textContent = 'Choose a date and time.';
      return;
    }
    const at = zonedToUtc(input.value, user.time_zone);
    const minutes = Number(length.value);
    // The server answers an unchanged time with a 200 (nothing moved):
    // saying "Moved" then would be wrong.
    if (Date.parse(at) === Date.parse(a.appointment_date) && minutes === a.duration_minutes) {
      error.textContent = 'That is the time it has now: choose another time or length.';
      return;
    }
    await act(
      () => api(path, { method: 'PATCH', body: { appointment_date: at, duration_minutes: minutes } }),
      // A 202 leaves the time and records the request; a 200 moved it
      // and ended any request (api() gives the body, not the status).
      (b) => (b.change_request ? changeMessages.asked(a, b, user) : changeMessages.moved(a, b, user)),
      [409, 422],
    );
  });
  return form;
}

/** "Cancel this session on …? [Yes, cancel] [Keep it]", in the card:
 *  no window.confirm (it blocks the page and reads badly on phones).
 *  @param {any} a @param {any} user @param {Act} act @param {string} path
 *  @returns {Panel} */
function cancelConfirmation(a, user, act, path) {
  const question = `cancel-question-${a.id}`;
  const yes = el('button', { type: 'button', class: 'danger' }, ['Yes, cancel']);
  const keep = el('button', { type: 'button' }, ['Keep it']);
  const node = el('div', { id: `cancel-${a.id}`, class: 'change-confirm', role: 'group', 'aria-labelledby': question, hidden: '' }, [
    el('p', { id: question }, [`Cancel this session on ${dayAndTime(a.appointment_date, user.time_zone)}?`]),
    el('div', { class: 'actions' }, [yes, keep]),
  ]);
  // Focus starts on the harmless answer: a second Enter keeps the session.
  const confirm = { node, first: () => keep, onClose: () => {} };
  keep.addEventListener('click', () => confirm.onClose());
  yes.addEventListener('click', () =>
    act(() => api(`${path}cancel/`, { method: 'POST' }), (b) => changeMessages.cancelled(a, b, user)),
  );
  return confirm;
}
