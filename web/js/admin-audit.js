// Admin: the audit log (GET /api/audit/), filtered by dates (the admin's
// zone's days), action and appointment, newest first, a page at a time
// ("Older entries" asks for entries before the last id shown), and the
// same filter exported as CSV (GET /api/audit.csv).

import { ApiError, api, currentUser, requireSignIn, session } from './session.js';
import { el } from './appointments.js';
import { dayAndTime, zonedToUtc } from './format.js';
import { wireHeader } from './header.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));
const form = /** @type {HTMLFormElement} */ ($('filters'));

/** The server's actions (422 for any other). */
const ACTIONS = [
  'signed_up', 'password_reset_asked', 'password_reset', 'user_created', 'user_updated', 'user_deactivated', 'user_reactivated',
  'booked', 'rescheduled', 'change_requested', 'change_approved', 'change_declined', 'cancelled',
  'token_issued', 'admitted', 'removed', 'joined', 'left',
];
const PAGE = 100;

/** @type {any} */
let me = null;
/** Names by user id, for the "About" column. @type {Map<number, string>} */
const names = new Map();
/** The query of what is shown (without paging), and the last id shown. */
let shown = { params: new URLSearchParams(), lastId: /** @type {number|null} */ (null) };

/** YYYY-MM-DD plus one day. @param {string} day */
function nextDay(day) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The filter in the form as query parameters: a day is the admin's
 *  zone's, from its midnight to the last instant before the next one.
 *  Empty fields are left out (the server refuses unknown or empty ones). */
function filterParams() {
  const params = new URLSearchParams();
  const value = (name) => /** @type {HTMLInputElement} */ (form.elements.namedItem(name)).value.trim();
  const tz = me.time_zone;
  if (value('from')) params.set('from', zonedToUtc(`${value('from')}T00:00`, tz));
  if (value('to')) params.set('to', new Date(Date.parse(zonedToUtc(`${nextDay(value('to'))}T00:00`, tz)) - 1).toISOString());
  if (value('action')) params.set('action', value('action'));
  if (value('appointment_id')) params.set('appointment_id', value('appointment_id'));
  return params;
}

/** @param {any} e an audit entry */
function row(e) {
  const subject = e.subject_id == null ? '' : names.get(e.subject_id) || `person #${e.subject_id}`;
  return el('tr', { 'data-id': String(e.id), 'data-action': e.action, 'data-actor-id': e.actor_id == null ? '' : String(e.actor_id) }, [
    el('td', { 'data-label': 'When' }, [dayAndTime(e.at, me.time_zone, { month: 'short' })]),
    el('td', { 'data-label': 'Who' }, [e.actor || (e.actor_id == null ? 'Confide' : `person #${e.actor_id}`)]),
    el('td', { 'data-label': 'Action' }, [e.action.replaceAll('_', ' ')]),
    el('td', { 'data-label': 'Appointment' }, [e.appointment_id == null ? '' : `#${e.appointment_id}`]),
    el('td', { 'data-label': 'About' }, [subject]),
    el('td', { 'data-label': 'Detail' }, [e.detail || '']),
    el('td', { 'data-label': 'Address' }, [e.ip || '']),
  ]);
}

/** Shows the filter's newest page, or (`older`) appends the next one. */
async function load(older = false) {
  const params = new URLSearchParams(older ? shown.params : filterParams());
  params.set('limit', String(PAGE));
  if (older && shown.lastId !== null) params.set('before_id', String(shown.lastId));
  const tbody = $('audit').querySelector('tbody');
  $('status').textContent = 'Loading…';
  try {
    const entries = await api(`/api/audit/?${params}`);
    if (!older) {
      shown = { params: filterParams(), lastId: null };
      tbody.replaceChildren();
    }
    tbody.append(...entries.map(row));
    if (entries.length) shown.lastId = entries[entries.length - 1].id;
    // A short page is the last one.
    $('older').hidden = entries.length < PAGE;
    const count = tbody.children.length;
    $('status').textContent = count ? `${count} entr${count === 1 ? 'y' : 'ies'} shown` : 'No entries match.';
  } catch (err) {
    $('status').textContent =
      err instanceof ApiError && Object.keys(err.fields).length
        ? Object.entries(err.fields).map(([f, p]) => `${f.replace('_', ' ')} ${p}`).join('; ')
        : `Could not load the audit log: ${err.message}`;
  }
}

/**
 * Downloads the form's filter as CSV. The export needs the bearer token,
 * which must not go in a URL (logs, history): fetched here, then saved
 * through a Blob and a link with `download`.
 */
async function exportCsv() {
  const status = $('export-status');
  status.textContent = 'Preparing the CSV…';
  const path = `/api/audit.csv?${filterParams()}`;
  const get = () => fetch(path, { headers: { Authorization: `Bearer ${session()?.access_token}`, Accept: 'text/csv' } });
  try {
    let response = await get();
    if (response.status === 401) {
      // An expired access token: api() refreshes it; then once more.
      await api('/api/me');
      response = await get();
    }
    if (!response.ok) {
      const text = await response.text();
      let message = text;
      try {
        message = JSON.parse(text).message || text;
      } catch {
        // Not JSON: the text as it is.
      }
      status.textContent = `Could not export: ${message}`;
      return;
    }
    const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '')?.[1] || 'confide-audit.csv';
    const url = URL.createObjectURL(await response.blob());
    const link = el('a', { href: url, download: name, hidden: '' });
    document.body.append(link);
    link.click();
    link.remove();
    // Revoked later: the download starts after click() returns.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    status.textContent = `Downloaded ${name}.`;
  } catch (err) {
    status.textContent = `Could not export: ${err.message}`;
  }
}

async function main() {
  if (!requireSignIn()) return;
  wireHeader();
  if (currentUser()?.role !== 'admin') {
    $('status').textContent = 'Only clinic admins can see the audit log.';
    return;
  }
  for (const part of document.querySelectorAll('[data-admin-only]')) part.hidden = false;
  $('action').append(...ACTIONS.map((a) => el('option', { value: a }, [a.replaceAll('_', ' ')])));
  const query = new URLSearchParams(location.search);
  for (const name of ['action', 'appointment_id']) {
    const value = query.get(name);
    if (value) /** @type {HTMLInputElement} */ (form.elements.namedItem(name)).value = value;
  }
  const [who, users] = await Promise.all([api('/api/me'), api('/api/users/')]);
  me = who;
  $('zone').textContent = me.time_zone;
  for (const u of users) names.set(u.id, u.name);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  $('older').addEventListener('click', () => load(true));
  $('export').addEventListener('click', exportCsv);
  await load();
}

main().catch((err) => {
  $('status').textContent = `Could not load: ${err.message}`;
});
