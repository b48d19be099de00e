// The patient's and the psychologist's dashboard: their appointments
// (psychologists see today's apart), join and copy-link buttons, booking
// for patients, and a browser notification when a room opens.

import { api, ApiError, currentUser, requireSignIn } from './session.js';
import { el, otherPerson, renderList, videoPath } from './appointments.js';
import { dayKey, zonedToUtc } from './format.js';
import { wireHeader } from './header.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));
let stopTicking = () => {};

function notifyOpen(a, user) {
  const other = otherPerson(a, user);
  const banner = $('banner');
  const join = el('button', { type: 'button', class: 'primary' }, ['Join now']);
  join.addEventListener('click', () => location.assign(videoPath(a)));
  banner.replaceChildren(el('p', {}, [`Your session with ${other.name} is starting.`]), join);
  banner.hidden = false;
  if ('Notification' in window && Notification.permission === 'granted') {
    const n = new Notification('Your session is starting — join now', {
      body: `With ${other.name}. Click to join the video call.`,
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
  const stops = [
    renderList($('today'), todays, user, (a) => notifyOpen(a, user)),
    renderList($('upcoming'), upcoming, user, (a) => notifyOpen(a, user)),
  ];
  stopTicking = () => stops.forEach((stop) => stop());
  $('today-section').hidden = !psychologist;
  $('upcoming-title').textContent = psychologist ? 'Upcoming' : 'Upcoming appointments';
  $('empty').hidden = upcoming.length > 0;
  $('status').textContent = '';
}

async function setUpBooking(user) {
  $('book-section').hidden = false;
  $('zone').textContent = `(${user.time_zone} time)`;
  const people = await api('/api/users/?role=psychologist');
  $('psychologist').replaceChildren(...people.map((p) => el('option', { value: String(p.id) }, [p.name])));
  const form = $('book');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('book-error');
    error.hidden = true;
    const when = $('when').value;
    if (!when) {
      error.textContent = 'Choose a date and time.';
      error.hidden = false;
      return;
    }
    try {
      await api('/api/appointments/', {
        method: 'POST',
        body: {
          psychologist_id: Number($('psychologist').value),
          appointment_date: zonedToUtc(when, user.time_zone),
          duration_minutes: Number($('duration').value),
          session_type: 'telehealth',
        },
      });
      form.reset();
      $('status').textContent = 'Booked. You will get a confirmation by email.';
      await load(user);
    } catch (err) {
      error.textContent =
        err instanceof ApiError && err.fields && Object.keys(err.fields).length
          ? Object.entries(err.fields).map(([f, p]) => `${f.replace('_', ' ')} ${p}`).join('; ')
          : err.message;
      error.hidden = false;
    }
  });
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
  // Other people book and cancel too.
  setInterval(() => load(user).catch(() => {}), 60_000);
}

main().catch((err) => {
  $('status').textContent = `Could not load your appointments: ${err.message}. Reload to try again.`;
});
