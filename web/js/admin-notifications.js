// Admin: the reminder outbox and the dev outbox (GET /api/notifications/).
import { ApiError, api, currentUser, requireSignIn } from './session.js';
import { el } from './appointments.js';
import { wireHeader } from './header.js';

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const form = /** @type {HTMLFormElement} */ ($('filters'));

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

function row(n) {
  const message = el('details', {}, [
    el('summary', {}, [n.subject || '(not rendered yet)']),
    el('pre', { class: 'message' }, [n.body || '']),
  ]);
  const state = el('span', { class: `state-${n.state}` }, [n.state]);
  const stateCell = [state, el('br'), `${n.channel}${n.delivered_via ? ` via ${n.delivered_via}` : ''}`];
  if (n.attempts) stateCell.push(el('br'), `${n.attempts} attempt(s)`);
  if (n.last_error) stateCell.push(el('br'), el('span', { class: 'muted' }, [n.last_error]));
  // data-label: the column's name, shown beside the value when a phone
  // stacks the rows as cards (app.css); the message (`wide`) gets the
  // card's whole width, under its name.
  return el('tr', { 'data-id': String(n.id), 'data-stage': n.stage, 'data-state': n.state }, [
    el('td', { 'data-label': 'Due' }, [when(n.sent_at || n.due_at)]),
    el('td', { 'data-label': 'Appointment' }, [`#${n.appointment_id}`]),
    el('td', { 'data-label': 'Stage' }, [n.stage.replace('_', ' ')]),
    el('td', { 'data-label': 'To' }, [n.recipient.name, el('br'), el('span', { class: 'muted' }, [n.address || ''])]),
    el('td', { 'data-label': 'State' }, stateCell),
    el('td', { 'data-label': 'Message', class: 'wide' }, [message]),
  ]);
}

async function load() {
  const params = new URLSearchParams();
  for (const name of ['via', 'state', 'channel']) {
    const value = /** @type {HTMLSelectElement} */ (form.elements.namedItem(name)).value;
    if (value) params.set(name, value);
  }
  params.set('limit', '200');
  try {
    const rows = await api(`/api/notifications/?${params}`);
    $('notifications').querySelector('tbody')?.replaceChildren(...rows.map(row));
    $('status').textContent = rows.length ? `${rows.length} message(s)` : 'No messages match.';
  } catch (err) {
    $('status').textContent =
      err instanceof ApiError && err.status === 403
        ? 'Only clinic admins can see notifications.'
        : `Could not load notifications: ${err.message}`;
  }
}

if (requireSignIn() && currentUser()?.role !== 'admin') {
  // No forms or empty tables for anyone else, and no polling.
  wireHeader();
  $('status').textContent = 'Only clinic admins can see notifications.';
} else if (currentUser()) {
  for (const part of document.querySelectorAll('[data-admin-only]')) part.hidden = false;
  const via = new URLSearchParams(location.search).get('via');
  if (via) /** @type {HTMLSelectElement} */ (form.elements.namedItem('via')).value = via;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  wireHeader();
  load();
  setInterval(load, 10_000);
}
