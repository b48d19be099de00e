// Admin: the clinic's people (admin-people.js) and every appointment:
// booking for someone, moving, cancelling, a waiting change request, and
// who attended. Times are the admin's own zone (their profile's), not the
// browser's or UTC: the server words clashes in that zone too. The
// notifications and audit pages are their own.

import { api, currentUser, requireSignIn } from './session.js';
import { el } from './appointments.js';
import { dateTime, dayAndTime, zonedToUtc } from './format.js';
import { zonedInputValue } from './schedule-actions.js';
import { wireHeader } from './header.js';
import { disclosures, people, problem } from './admin-people.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));

/** The lengths offered, in minutes (as the dashboard's booking form). */
const LENGTHS = [50, 30, 60, 90];

/** The signed-in admin, from /api/me (their time zone). */
let me = /** @type {any} */ (null);

/** @param {string} id @returns {(text: string) => void} a section's status line */
const sayIn = (id) => (text) => {
  $(id).textContent = text;
};
const say = sayIn('appointments-status');

/** "1 h 5 min", "12 min", "40 s": time in a call. @param {number} s */
function duration(s) {
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

/** @param {number[]} base @param {number} current */
const lengthOptions = (base, current) =>
  (base.includes(current) ? base : [current, ...base]).map((m) => el('option', { value: String(m) }, [`${m} minutes`]));

async function loadAppointments(focus = null) {
  const appointments = await api('/api/appointments/');
  $('appointments').querySelector('tbody').replaceChildren(...appointments.map(row));
  if (focus !== null) $('appointments').querySelector(`tr[data-appointment-id="${focus}"] button`)?.focus();
}

/**
 * Sends one change to appointment `a`; on success says what happened and
 * redraws the list. A refusal shows in the row (`error`), the server's words.
 * @param {any} a @param {HTMLElement} box @param {HTMLElement} error
 * @param {() => Promise<any>} send @param {(b: any) => string} message
 */
async function act(a, box, error, send, message) {
  error.textContent = '';
  for (const b of box.querySelectorAll('button')) b.disabled = true;
  let text;
  try {
    text = message(await send());
  } catch (err) {
    for (const b of box.querySelectorAll('button')) b.disabled = false;
    error.textContent = problem(err);
    return;
  }
  // Said once the list shows it.
  await loadAppointments(a.id);
  say(text);
}

/** One appointment's row. @param {any} a */
function row(a) {
  const tz = me.time_zone;
  const actions = el('td', { 'data-label': 'Actions', class: 'wide' });
  const error = el('p', { class: 'error row-error', role: 'alert' });
  const panels = disclosures(actions);
  const buttons = el('div', { class: 'actions' });
  const path = `/api/appointments/${a.id}/`;
  /** @type {HTMLElement[]} */
  const opened = [];
  const scheduled = a.status === 'scheduled';
  const when = dateTime(a.appointment_date, tz);

  if (a.change_request && scheduled) {
    const r = a.change_request;
    const line = `${a.patient.name} asks to move this to ${dayAndTime(r.appointment_date, tz)} (${r.duration_minutes} minutes).`;
    const request = el('div', { class: 'change-request' }, [el('p', { id: `request-${a.id}` }, [line])]);
    if (r.can_approve) {
      const button = (label, verb, message) => {
        const b = el('button', { type: 'button', 'aria-describedby': `request-${a.id}` }, [label]);
        b.addEventListener('click', () => act(a, actions, error, () => api(`${path}change-request/${verb}/`, { method: 'POST' }), message));
        return b;
      };
      request.append(
        el('div', { class: 'actions' }, [
          button('Approve', 'approve', (b) => `Moved ${a.patient.name}'s session to ${dayAndTime(b.appointment_date, tz)}.`),
          button('Decline', 'decline', () => `Declined the request: the session stays on ${dayAndTime(a.appointment_date, tz)}.`),
        ]),
      );
    }
    opened.push(request);
  }

  if (scheduled && a.can_reschedule !== false) {
    const move = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', class: 'reschedule', 'aria-label': `Reschedule ${a.patient.name}'s session, ${when}` }, ['Reschedule']));
    const form = rescheduleForm(a, actions, error);
    form.close = panels.add(move, form.node, form.first);
    buttons.append(move);
    opened.push(form.node);
  }
  if (scheduled && a.can_cancel !== false) {
    const cancel = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', class: 'cancel', 'aria-label': `Cancel ${a.patient.name}'s session, ${when}` }, ['Cancel']));
    const yes = el('button', { type: 'button', class: 'danger' }, ['Yes, cancel']);
    const keep = el('button', { type: 'button' }, ['Keep it']);
    const node = el('div', { id: `cancel-${a.id}`, class: 'change-confirm', role: 'group', 'aria-labelledby': `cancel-q-${a.id}` }, [
      el('p', { id: `cancel-q-${a.id}` }, [`Cancel ${a.patient.name}'s session with ${a.psychologist.name} on ${dayAndTime(a.appointment_date, tz)}? Both are told.`]),
      el('div', { class: 'actions' }, [yes, keep]),
    ]);
    // Focus starts on the harmless answer.
    const close = panels.add(cancel, node, () => keep);
    keep.addEventListener('click', close);
    yes.addEventListener('click', () =>
      act(a, actions, error, () => api(`${path}cancel/`, { method: 'POST' }), () => `Cancelled ${a.patient.name}'s session on ${dayAndTime(a.appointment_date, tz)}.`),
    );
    buttons.append(cancel);
    opened.push(node);
  }
  if (a.session_type === 'telehealth') {
    const show = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', class: 'attendance', 'aria-label': `Attendance of ${a.patient.name}'s session, ${when}` }, ['Attendance']));
    const node = el('div', { id: `attendance-${a.id}`, class: 'attendance-panel', tabindex: '-1', 'aria-live': 'polite' });
    panels.add(show, node, () => node);
    // Loaded each time it opens: a call may be going on.
    show.addEventListener('click', () => {
      if (!node.hidden) attendance(a, node);
    });
    buttons.append(show);
    opened.push(node);
  }
  actions.prepend(buttons);
  actions.append(...opened, error);
  return el('tr', { 'data-appointment-id': String(a.id), 'data-status': a.status }, [
    el('td', { 'data-label': 'When' }, [when, el('br'), el('span', { class: 'muted' }, [`${a.duration_minutes} minutes`])]),
    el('td', { 'data-label': 'Patient' }, [a.patient.name]),
    el('td', { 'data-label': 'Psychologist' }, [a.psychologist.name]),
    el('td', { 'data-label': 'Kind' }, [a.session_type === 'telehealth' ? 'video' : 'in person']),
    el('td', { 'data-label': 'Status' }, [a.status]),
    actions,
  ]);
}

/** The inline reschedule form: a date and time in the admin's zone (the
 *  session's own to start from) and a length. Admins move directly.
 *  @param {any} a @param {HTMLElement} box @param {HTMLElement} error */
function rescheduleForm(a, box, error) {
  const tz = me.time_zone;
  const whenId = `move-when-${a.id}`;
  const lengthId = `move-length-${a.id}`;
  const input = /** @type {HTMLInputElement} */ (el('input', { id: whenId, type: 'datetime-local', required: '', value: zonedInputValue(a.appointment_date, tz) }));
  const length = /** @type {HTMLSelectElement} */ (el('select', { id: lengthId }, lengthOptions(LENGTHS, a.duration_minutes)));
  length.value = String(a.duration_minutes);
  const close = el('button', { type: 'button' }, ['Close']);
  const node = el('form', { id: `move-${a.id}`, class: 'change-form', novalidate: '', 'aria-label': `Move ${a.patient.name}'s session` }, [
    el('label', { for: whenId }, ['New date and time ', el('span', { class: 'muted' }, [`(${tz} time)`])]),
    input,
    el('label', { for: lengthId }, ['Length']),
    length,
    el('div', { class: 'actions' }, [el('button', { type: 'submit', class: 'primary' }, ['Move session']), close]),
  ]);
  const form = { node, first: () => input, close: () => {} };
  close.addEventListener('click', () => form.close());
  node.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!input.value) {
      error.textContent = 'Choose a date and time.';
      return;
    }
    const body = { appointment_date: zonedToUtc(input.value, tz), duration_minutes: Number(length.value) };
    act(a, box, error, () => api(`/api/appointments/${a.id}/`, { method: 'PATCH', body }), (b) =>
      `Moved ${a.patient.name}'s session to ${dayAndTime(b.appointment_date, tz)} (${b.duration_minutes} minutes). Both get the new time by e-mail.`,
    );
  });
  return form;
}

/** Fills `node` with who was in the call of `a`, and when, in the admin's zone.
 *  @param {any} a @param {HTMLElement} node */
async function attendance(a, node) {
  const tz = me.time_zone;
  node.replaceChildren(el('p', { class: 'muted' }, ['Loading attendance…']));
  let r;
  try {
    r = await api(`/api/appointments/${a.id}/attendance/`);
  } catch (err) {
    node.replaceChildren(el('p', { class: 'error', role: 'alert' }, [problem(err)]));
    return;
  }
  const who = (v) => (v.role === 'patient' ? a.patient.name : v.role === 'psychologist' ? a.psychologist.name : v.identity);
  const parts = [el('h3', {}, ['Attendance'])];
  if (!r.visits.length) parts.push(el('p', { class: 'no-visits' }, ['Nobody has joined this call.']));
  else {
    parts.push(
      el('ul', { class: 'visits' }, r.visits.map((v) =>
        el('li', { 'data-role': v.role }, [
          el('strong', {}, [who(v)]), ` (${v.role}): joined ${dayAndTime(v.joined_at, tz, { month: 'short' })}, `,
          v.left_at ? `left ${dayAndTime(v.left_at, tz, { month: 'short' })}` : 'still in the call',
        ]),
      )),
    );
  }
  parts.push(
    el('p', {}, [`In the call: ${a.patient.name} ${duration(r.patient_seconds)}, ${a.psychologist.name} ${duration(r.psychologist_seconds)}; together ${duration(r.session_seconds)}.`]),
  );
  const flags = [];
  if (r.patient_no_show) flags.push(`${a.patient.name} (patient)`);
  if (r.psychologist_no_show) flags.push(`${a.psychologist.name} (psychologist)`);
  if (flags.length) parts.push(el('p', { class: 'error no-show' }, [`No-show: ${flags.join(', ')}`]));
  else if (r.patient_no_show === null) parts.push(el('p', { class: 'muted' }, ['No-shows are known once the room has closed.']));
  node.replaceChildren(...parts);
}

/** The "Book for someone" form: its selects list the active patients and
 *  psychologists; the time is the admin's zone's. */
function wireBooking() {
  const form = $('book');
  const error = $('book-error');
  $('b-length').replaceChildren(...lengthOptions(LENGTHS, 50));
  $('b-zone').textContent = `(${me.time_zone} time)`;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const value = (name) => form.elements.namedItem(name).value;
    if (!value('when')) {
      error.textContent = 'Choose a date and time.';
      return;
    }
    const body = {
      patient_id: Number(value('patient_id')),
      psychologist_id: Number(value('psychologist_id')),
      appointment_date: zonedToUtc(value('when'), me.time_zone),
      duration_minutes: Number(value('duration_minutes')),
      session_type: value('session_type'),
    };
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      const b = await api('/api/appointments/', { method: 'POST', body });
      form.elements.namedItem('when').value = '';
      await loadAppointments();
      say(`Booked ${b.patient.name} with ${b.psychologist.name} on ${dayAndTime(b.appointment_date, me.time_zone)}.`);
    } catch (err) {
      // A clash comes worded in the admin's zone: shown as it is.
      error.textContent = problem(err);
    } finally {
      submit.disabled = false;
    }
  });
}

/** Lists the active patients and psychologists in the booking form. @param {any[]} users */
function fillBooking(users) {
  for (const [id, role] of [['b-patient', 'patient'], ['b-psychologist', 'psychologist']]) {
    const select = $(id);
    const was = select.value;
    select.replaceChildren(...users.filter((u) => u.role === role && u.active).map((u) => el('option', { value: String(u.id) }, [u.name])));
    if (was) select.value = was;
  }
}

async function main() {
  if (!requireSignIn()) return;
  wireHeader();
  if (currentUser()?.role !== 'admin') {
    $('status').textContent = 'Only clinic admins can see this page.';
    return;
  }
  // The forms and tables stay hidden from everyone else.
  for (const section of document.querySelectorAll('[data-admin-only]')) section.hidden = false;
  me = await api('/api/me');
  $('when-heading').textContent = `When (${me.time_zone})`;
  wireBooking();
  const list = people({ me, say: sayIn('people-status'), onUsers: fillBooking });
  await Promise.all([list.load(), loadAppointments()]);
}

main().catch((err) => {
  $('status').textContent = `Could not load: ${err.message}`;
});
