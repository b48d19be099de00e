// The patient's and the psychologist's dashboard: their appointments
// (psychologists see today's apart), join and copy-link buttons, moving
// and cancelling under the clinic's policy (schedule-actions.js), booking
// for patients, and a browser notification when a room opens.

import { api, ApiError, currentUser, requireSignIn } from './session.js';
import { el, renderList, roomOpenMessage, videoPath } from './appointments.js';
import { dayAndTime, dayKey, zonedToUtc } from './format.js';
import { changeControls } from './schedule-actions.js';
import { wireHeader } from './header.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));
let stopTicking = () => {};

/** A room opened (15 minutes before its session): the banner, and a
 *  browser notification if the user allowed them. */
function notifyOpen(a, user) {
  const message = roomOpenMessage(a, user);
  const banner = $('banner');
  const join = el('button', { type: 'button', class: 'primary' }, ['Join now']);
  join.addEventListener('click', () => location.assign(videoPath(a)));
  banner.replaceChildren(el('p', {}, [message.banner]), join);
  banner.hidden = false;
  if ('Notification' in window && Notification.permission === 'granted') {
    const n = new Notification(message.title, {
      body: message.body,
      tag: `appointment-${a.id}`,
    });
    n.onclick = () => {
      window.focus();
      location.assign(videoPath(a));
    };
  }
}

async function load(user) {
  const all = await api('/api/appointments/?status=scheduled');
  const now = Date.now();
  const live = all.filter((a) => Date.parse(a.join_closes_at || a.appointment_date) > now);
  const today = dayKey(new Date(now), user.time_zone);
  const isToday = (a) => dayKey(new Date(a.appointment_date), user.time_zone) === today;
  const psychologist = user.role === 'psychologist';
  const todays = psychologist ? live.filter(isToday) : [];
  const upcoming = psychologist ? live.filter((a) => !isToday(a)) : live;
  stopTicking();
  const extend = (a) => changeControls(a, user, (outcome) => changed(user, outcome));
  const stops = [
    renderList($('today'), todays, user, (a) => notifyOpen(a, user), extend),
    renderList($('upcoming'), upcoming, user, (a) => notifyOpen(a, user), extend),
  ];
  stopTicking = () => stops.forEach((stop) => stop());
  $('today-section').hidden = !psychologist;
  $('upcoming-title').textContent = psychologist ? 'Upcoming' : 'Upcoming appointments';
  $('empty').hidden = upcoming.length > 0;
  $('status').textContent = '';
}

/**
 * After a change on a card: the lists again (the card may have moved to
 * another day or section, or gone), then what happened, in the status
 * line above them; a refusal goes on the fresh card if there is one. Focus
 * follows the words: the button that was pressed went with the old card.
 * @param {any} user
 * @param {import('./schedule-actions.js').Outcome} outcome
 */
async function changed(user, { id, message, error }) {
  try {
    await load(user);
  } catch (err) {
    $('status').textContent = `Could not refresh your appointments: ${err.message}. Reload to try again.`;
  }
  const card = document.querySelector(`li[data-appointment-id="${id}"]`);
  const line = $('changes');
  if (error && card) {
    line.textContent = '';
    card.querySelector('.change-error').textContent = error;
    const heading = card.querySelector('h3');
    heading.tabIndex = -1;
    heading.focus();
    return;
  }
  line.textContent = error || message || '';
  line.className = error ? 'card error' : 'card notice';
  line.focus();
}

/** Whether someone is in the middle of a change on a card (a form or a
 *  question open, an answer awaited): the minute's refresh would redraw
 *  the card under them. */
const changing = () => Boolean(document.querySelector('.changes[data-open], .changes[aria-busy="true"]'));

async function setUpBooking(user) {
  $('book-section').hidden = false;
  $('zone').textContent = `(${user.time_zone} time)`;
  const people = await api('/api/users/?role=psychologist');
  $('psychologist').replaceChildren(...people.map((p) => el('option', { value: String(p.id) }, [p.name])));
  const form = $('book');
  const booked = $('booked');
  // The confirmation stays (the list's refreshes leave it alone) until the
  // user goes on to something else: another booking.
  form.addEventListener('input', () => {
    booked.hidden = true;
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('book-error');
    error.hidden = true;
    booked.hidden = true;
    const when = $('when').value;
    if (!when) {
      error.textContent = 'Choose a date and time.';
      error.hidden = false;
      return;
    }
    let appointment;
    try {
      appointment = await api('/api/appointments/', {
        method: 'POST',
        body: {
          psychologist_id: Number($('psychologist').value),
          appointment_date: zonedToUtc(when, user.time_zone),
          duration_minutes: Number($('duration').value),
          session_type: 'telehealth',
        },
      });
    } catch (err) {
      // The API's own words: it says when a clash is in the user's zone.
      error.textContent = !(err instanceof ApiError)
        ? 'Could not book: check your connection and try again.'
        : Object.keys(err.fields).length
          ? Object.entries(err.fields).map(([f, p]) => `${f.replace('_', ' ')} ${p}`).join('; ')
          : err.message;
      error.hidden = false;
      return;
    }
    form.reset();
    booked.textContent = bookedText(appointment, user);
    booked.hidden = false;
    await load(user).catch((err) => {
      $('status').textContent = `Could not refresh your appointments: ${err.message}. Reload to try again.`;
    });
  });
}

/** "Booked: Thursday, December 10 at 9:30 PM with Dr. Ana Jones. …", in the user's zone. */
function bookedText(a, user) {
  const when = dayAndTime(a.appointment_date, user.time_zone);
  return `Booked: ${when} with ${a.psychologist.name}. A confirmation is on its way by e-mail.`;
}

async function main() {
  if (!requireSignIn()) return;
  let user = currentUser();
  if (user.role === 'admin') {
    location.replace('/admin/');
    return;
  }
  wireHeader();
  user = await api('/api/me');
  if ('Notification' in window && Notification.permission === 'default') {
    const button = $('notify');
    button.hidden = false;
    button.addEventListener('click', async () => {
      await Notification.requestPermission();
      button.hidden = true;
    });
  }
  $('title').textContent = user.role === 'psychologist' ? 'Your sessions' : 'Your appointments';
  if (user.role === 'patient') await setUpBooking(user);
  await load(user);
  // Other people book, move and cancel too; not while someone is filling
  // in a card's form (the next minute will do).
  setInterval(() => {
    if (!changing()) load(user).catch(() => {});
  }, 60_000);
}

main().catch((err) => {
  $('status').textContent = `Could not load your appointments: ${err.message}. Reload to try again.`;
});
