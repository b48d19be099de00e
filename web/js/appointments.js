// The appointment list both dashboards show: the date in the user's time
// zone, who it is with, a "Join Video Session" button live from when the
// room opens (15 minutes before) until it closes, with when it opens before
// that, and "Copy meeting link". No room names: they mean nothing to a
// patient (the link and the button are the way in).
//
// The dashboard adds what else a card offers (schedule-actions.js: moving
// and cancelling) through `renderList`'s `extend`.
//
// Nothing runs on import (tests import the message builders on their own).

import { dateTime, dayAndTime, opensWhen, time } from './format.js';

/** @param {string} tag @param {Record<string, string>} [attrs] @param {(Node|string)[]} [children] */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** The other person of an appointment, for the signed-in user. */
export function otherPerson(appointment, user) {
  return user.id === appointment.patient.id ? appointment.psychologist : appointment.patient;
}

/**
 * What to say when an appointment's room opens, 15 minutes before the
 * session starts: the browser notification's title and body, and the
 * dashboard's banner. They name the start time, as the session has not
 * started yet and the person may join whenever they are ready.
 * @param {any} a the API's appointment
 * @param {any} user the signed-in user
 * @returns {{title: string, body: string, banner: string}}
 */
export function roomOpenMessage(a, user) {
  const other = otherPerson(a, user).name;
  const at = time(a.appointment_date, user.time_zone);
  return {
    title: `The room for your ${at} session is open`,
    body: `With ${other}. Join now or when you're ready.`,
    banner: `Your session with ${other} at ${at}: the room is open.`,
  };
}

/** The server's reasons are clauses ("within 24 hours of the session, …");
 *  on their own line they read as a sentence.
 *  @param {string} text */
export function sentence(text) {
  const s = String(text).trim();
  if (!s) return s;
  const capital = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** "Ana" of "Ana Layout": the psychologist's card speaks of the patient by
 *  first name, as the clinic does.
 *  @param {string} name */
export function firstName(name) {
  return String(name).trim().split(/\s+/)[0] || String(name);
}

/**
 * "Monday, December 7 at 10:00 AM" in `timeZone`, with the length when it
 * is not `before`'s: a move may be to the same time, only shorter.
 * @param {string} iso
 * @param {number} minutes
 * @param {number} before
 * @param {string} timeZone
 */
export function timeAndLength(iso, minutes, before, timeZone) {
  const at = dayAndTime(iso, timeZone);
  return minutes === before ? at : `${at} (${minutes} minutes)`;
}

/**
 * What the dashboard says after a change on a card (schedule-actions.js),
 * from the server's answer `b` to the appointment as it was, `a`, for
 * `user`, in the user's zone.
 */
export const changeMessages = {
  /** A move that waits for the psychologist (202). */
  asked: (a, b, user) =>
    `Asked ${a.psychologist.name} to move it to ${timeAndLength(b.change_request.appointment_date, b.change_request.duration_minutes, a.duration_minutes, user.time_zone)}. If they approve it, you both get the new time by e-mail; you'll see their answer here.`,
  /** A move that happened (200). */
  moved: (a, b, user) =>
    `Moved to ${timeAndLength(b.appointment_date, b.duration_minutes, a.duration_minutes, user.time_zone)}. Both of you get the new time by e-mail.`,
  approved: (a, b, user) =>
    `Moved ${firstName(a.patient.name)}'s session to ${timeAndLength(b.appointment_date, b.duration_minutes, a.duration_minutes, user.time_zone)}. Both of you get the new time by e-mail.`,
  declined: (a, b, user) => `Declined ${firstName(a.patient.name)}'s request: the session stays on ${dayAndTime(b.appointment_date, user.time_zone)}.`,
  withdrawn: (a, b, user) => `Withdrew your request: the session stays on ${dayAndTime(b.appointment_date, user.time_zone)}.`,
  cancelled: (a, b, user) => `Cancelled the session on ${dayAndTime(a.appointment_date, user.time_zone)}.`,
};

/** Where the video page of an appointment is. */
export function videoPath(appointment) {
  return appointment.video_room_id ? `/video-session/${appointment.video_room_id}` : `/appointments/${appointment.id}/video`;
}

/** `open`, `early` (with ms to go) or `closed`, by this browser's clock. */
export function joinState(appointment, now = Date.now()) {
  if (!appointment.join_opens_at || appointment.status !== 'scheduled') return { state: 'none' };
  const opens = Date.parse(appointment.join_opens_at);
  const closes = Date.parse(appointment.join_closes_at);
  if (now < opens) return { state: 'early', wait: opens - now };
  if (now > closes) return { state: 'closed' };
  return { state: 'open' };
}

/**
 * One appointment as a card. Its heading's id is `when-{id}`: the card's
 * buttons name it as what they act on.
 * @param {any} a the API's appointment
 * @param {any} user the signed-in user
 * @param {(a: any) => Node|null} [extend] more for the card, under the rest
 */
export function appointmentCard(a, user, extend = () => null) {
  const other = otherPerson(a, user);
  const telehealth = a.session_type === 'telehealth';
  const join = el('button', { type: 'button', class: 'primary join', id: `join-${a.id}` }, ['Join Video Session']);
  const hint = el('span', { class: 'muted join-hint', id: `join-hint-${a.id}`, 'aria-live': 'off' });
  join.setAttribute('aria-describedby', hint.id);
  join.addEventListener('click', () => location.assign(videoPath(a)));
  const copy = el('button', { type: 'button', class: 'copy-link', id: `copy-${a.id}` }, ['Copy meeting link']);
  const copied = el('span', { class: 'muted', role: 'status' });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(a.meeting_url);
      copied.textContent = 'Link copied';
    } catch {
      copied.textContent = `Copy this link: ${a.meeting_url}`;
    }
  });
  const role = user.id === a.patient.id ? 'With' : 'Patient:';
  const card = el('li', { class: 'card appointment', 'data-appointment-id': String(a.id) }, [
    el('h3', { id: `when-${a.id}` }, [dateTime(a.appointment_date, user.time_zone)]),
    el('p', {}, [`${role} ${other.name} · ${a.duration_minutes} minutes · ${telehealth ? 'video' : 'in person'}`]),
  ]);
  if (a.status === 'cancelled') card.append(el('p', { class: 'error' }, ['Cancelled']));
  if (telehealth && a.status === 'scheduled') {
    card.append(el('div', { class: 'actions' }, [join, copy, hint, copied]));
  }
  const more = extend(a);
  if (more) card.append(more);
  /** Updates the join button; returns the join state. */
  const tick = (now = Date.now()) => {
    const s = joinState(a, now);
    join.disabled = s.state !== 'open';
    hint.textContent =
      s.state === 'early'
        ? `Opens ${opensWhen(a.join_opens_at, user.time_zone, { now })}`
        : s.state === 'closed'
          ? 'This session has ended'
          : '';
    return s.state;
  };
  return { card, tick, appointment: a };
}

/**
 * Renders a list and keeps every join button current, once a second. When
 * a room opens while the page is open, `onOpen(appointment)` is called
 * (the dashboard's browser notification). `extend(appointment)`: more for
 * each card (`appointmentCard`).
 * @param {HTMLElement} list
 * @param {any[]} appointments
 * @param {any} user
 * @param {(a: any) => void} [onOpen]
 * @param {(a: any) => Node|null} [extend]
 */
export function renderList(list, appointments, user, onOpen = () => {}, extend = undefined) {
  const cards = appointments.map((a) => appointmentCard(a, user, extend));
  list.replaceChildren(...cards.map((c) => c.card));
  const last = new Map(cards.map((c) => [c.appointment.id, c.tick()]));
  const timer = setInterval(() => {
    for (const c of cards) {
      const now = c.tick();
      if (now === 'open' && last.get(c.appointment.id) === 'early') onOpen(c.appointment);
      last.set(c.appointment.id, now);
    }
  }, 1000);
  return () => clearInterval(timer);
}
