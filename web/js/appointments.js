// The appointment list both dashboards show: the date in the user's time
// zone, who it is with, a "Join Video Session" button live from when the
// room opens (15 minutes before) until it closes, with when it opens before
// that, and "Copy meeting link". No room names: they mean nothing to a
// patient (the link and the button are the way in).
//
// Nothing runs on import (tests import the message builders on their own).

import { dateTime, opensWhen, time } from './format.js';

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
 * One appointment as a card.
 * @param {any} a the API's appointment
 * @param {any} user the signed-in user
 */
export function appointmentCard(a, user) {
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
    el('h3', {}, [dateTime(a.appointment_date, user.time_zone)]),
    el('p', {}, [`${role} ${other.name} · ${a.duration_minutes} minutes · ${telehealth ? 'video' : 'in person'}`]),
  ]);
  if (a.status === 'cancelled') card.append(el('p', { class: 'error' }, ['Cancelled']));
  if (telehealth && a.status === 'scheduled') {
    card.append(el('div', { class: 'actions' }, [join, copy, hint, copied]));
  }
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
 * (the dashboard's browser notification).
 */
export function renderList(list, appointments, user, onOpen = () => {}) {
  const cards = appointments.map((a) => appointmentCard(a, user));
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
