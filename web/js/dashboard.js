// The patient's and the psychologist's dashboard: their appointments
// (psychologists see today's apart), join and copy-link buttons, moving
// and cancelling under the clinic's policy (schedule-actions.js), booking
// for patients, and a browser notification when a room opens. On a
// psychologist's cards whose room is open: who waits in the waiting room.

import { api, ApiError, currentUser, publicApi, requireSignIn } from './session.js';
import { el, joinState, renderList, roomOpenMessage, videoPath } from './appointments.js';
import { dayAndTime, dayKey, time, zonedToUtc } from './format.js';
import { changeControls } from './schedule-actions.js';
import { wireHeader } from './header.js';
import { follow } from './waiting-room.js';
import { waitingAlert } from './waiting-alerts.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));
let stopTicking = () => {};

/**
 * The waiting rooms the psychologist's dashboard follows, by appointment
 * id. Kept across the list's redraws (every minute, after every change),
 * so a redraw neither starts a second long poll nor notifies again.
 * `key` is the appointment's id and time: a moved appointment's room
 * starts afresh on the server (its version back to 0, which a follow that
 * saw a later one would wait past), so it is followed afresh too.
 * @type {Map<number, {key: string, stop: () => void, view: any}>}
 */
const rooms = new Map();
/** The appointments on the cards (load() sets them). @type {any[]} */
let shown = [];
/** A psychologist in a clinic with a waiting room (main() decides). */
let watchingRooms = false;

/** @param {any} a */
const roomKey = (a) => `${a.id}@${a.appointment_date}`;

/**
 * Follows the waiting room of each of the psychologist's sessions whose
 * card is on the page and whose room is open (as its Join button is live:
 * `joinState`), and stops following the others (the room closed, the card
 * went). Runs every second and after every redraw; it is cheap when
 * nothing changed, and puts the line back on a redrawn card.
 * @param {any} user
 */
function watchRooms(user) {
  if (!watchingRooms) return;
  const now = Date.now();
  /** @type {Map<number, any>} */
  const wanted = new Map();
  for (const a of shown) {
    const open = a.session_type === 'telehealth' && joinState(a, now).state === 'open';
    if (open && a.psychologist.id === user.id && cardOf(a.id)) wanted.set(a.id, a);
  }
  for (const [id, room] of rooms) {
    const a = wanted.get(id);
    if (a && room.key === roomKey(a)) continue;
    room.stop();
    rooms.delete(id);
    waitingAlert(id, null);
    // A card still on the page (its room just closed) says nothing more.
    showWaiting(id, null, user);
  }
  for (const [id, a] of wanted) {
    let room = rooms.get(id);
    if (!room) {
      const fresh = { key: roomKey(a), stop: () => {}, view: null };
      fresh.stop = follow(id, (view) => {
        fresh.view = view;
        waitingAlert(id, view.waiting ? view.patient_first_name : null);
        showWaiting(id, view, user);
      });
      rooms.set(id, fresh);
      room = fresh;
    }
    showWaiting(id, room.view, user);
  }
}

/** @param {number} id */
const cardOf = (id) => /** @type {HTMLElement|null} */ (document.querySelector(`li[data-appointment-id="${id}"]`));

/**
 * A card's waiting line ("Pat is waiting — joined the waiting room at
 * 9:58 AM"), its Join button's words and its highlight, from the room's
 * `view` (null: not heard yet). The line is a live region that stays on
 * the card, empty while nobody waits, so that a patient arriving is read
 * out. It is written only when its words change, as a rewrite can be read
 * out again (this runs every second), and a redrawn card gets it with its
 * words already in: a live region's first words are not read out, so the
 * minute's redraw does not say it again.
 * @param {number} id
 * @param {any} view
 * @param {any} user
 */
function showWaiting(id, view, user) {
  const card = cardOf(id);
  const join = card && /** @type {HTMLElement|null} */ (card.querySelector(`#join-${id}`));
  const actions = card && card.querySelector('.actions');
  if (!join || !actions) return;
  const waiting = Boolean(view && view.waiting);
  const name = waiting ? view.patient_first_name : '';
  const since = waiting && view.waiting_since ? ` at ${time(view.waiting_since, user.time_zone)}` : '';
  const text = waiting ? `${name} is waiting — joined the waiting room${since}` : '';
  let line = card.querySelector('.waiting-line');
  if (!line) {
    line = el('p', { class: 'waiting-line', id: `waiting-${id}`, role: 'status' }, [text]);
    actions.before(line);
    join.setAttribute('aria-describedby', `${join.getAttribute('aria-describedby') || ''} ${line.id}`.trim());
    join.dataset.label = join.textContent;
  }
  if (line.textContent !== text) line.textContent = text;
  // The button still only joins: the psychologist lets the patient in from
  // the video page's panel, where they can first leave a note or remove.
  const label = waiting ? `Join to let ${name} in` : join.dataset.label || '';
  if (join.textContent !== label) join.textContent = label;
  card.toggleAttribute('data-waiting', waiting);
}

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
  shown = live;
  watchRooms(user);
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
  if (user.role === 'psychologist') {
    // As the video page decides (video-page.js): without the clinic's word,
    // no waiting room.
    const clinic = await publicApi('/api/clinic').catch(() => ({ waiting_room: false }));
    watchingRooms = Boolean(clinic.waiting_room);
  }
  await load(user);
  // Rooms open and close by the clock, as the cards' Join buttons do.
  if (watchingRooms) setInterval(() => watchRooms(user), 1000);
  // Other people book, move and cancel too; not while someone is filling
  // in a card's form (the next minute will do).
  setInterval(() => {
    if (!changing()) load(user).catch(() => {});
  }, 60_000);
}

main().catch((err) => {
  $('status').textContent = `Could not load your appointments: ${err.message}. Reload to try again.`;
});
