// Admin: the clinic's people (and adding one) and every appointment (and
// cancelling one). The notifications page has the outbox.

import { api, ApiError, currentUser, requireSignIn } from './session.js';
import { el } from './appointments.js';
import { dateTime } from './format.js';
import { wireHeader } from './header.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));

// Each cell carries its column's name (data-label): on a phone the rows
// are stacked cards (app.css), which show it beside the value.

async function loadUsers() {
  const users = await api('/api/users/');
  $('users').querySelector('tbody').replaceChildren(
    ...users.map((u) =>
      el('tr', {}, [
        el('td', { 'data-label': 'Name' }, [u.name]),
        el('td', { 'data-label': 'Email' }, [u.email]),
        el('td', { 'data-label': 'Role' }, [u.role]),
        el('td', { 'data-label': 'Phone' }, [u.phone ? `${u.phone}${u.whatsapp_opt_in ? ' (WhatsApp)' : ''}` : '']),
        el('td', { 'data-label': 'Time zone' }, [u.time_zone]),
      ]),
    ),
  );
}

async function loadAppointments() {
  const appointments = await api('/api/appointments/');
  $('appointments').querySelector('tbody').replaceChildren(
    ...appointments.map((a) => {
      const actions = el('td');
      if (a.status === 'scheduled') {
        const cancel = el('button', { type: 'button', 'aria-label': `Cancel appointment ${a.id}` }, ['Cancel']);
        cancel.addEventListener('click', async () => {
          if (!confirm('Cancel this appointment? Both people are told.')) return;
          await api(`/api/appointments/${a.id}/cancel/`, { method: 'POST' });
          await loadAppointments();
        });
        actions.append(cancel);
      }
      return el('tr', { 'data-appointment-id': String(a.id) }, [
        el('td', { 'data-label': 'When (UTC)' }, [dateTime(a.appointment_date, 'UTC')]),
        el('td', { 'data-label': 'Patient' }, [a.patient.name]),
        el('td', { 'data-label': 'Psychologist' }, [a.psychologist.name]),
        el('td', { 'data-label': 'Kind' }, [a.session_type === 'telehealth' ? 'video' : 'in person']),
        el('td', { 'data-label': 'Status' }, [a.status]),
        actions,
      ]);
    }),
  );
}

function wireNewUser() {
  const form = $('new-user');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('user-error');
    error.hidden = true;
    const value = (name) => form.elements.namedItem(name).value.trim();
    const body = {
      name: value('name'),
      email: value('email'),
      role: value('role'),
      password: form.elements.namedItem('password').value,
      time_zone: value('time_zone') || undefined,
      phone: value('phone') || undefined,
      whatsapp_opt_in: form.elements.namedItem('whatsapp_opt_in').checked,
    };
    try {
      await api('/api/users/', { method: 'POST', body });
      form.reset();
      $('status').textContent = `Added ${body.name}.`;
      await loadUsers();
    } catch (err) {
      error.textContent =
        err instanceof ApiError && Object.keys(err.fields).length
          ? Object.entries(err.fields).map(([f, p]) => `${f.replace('_', ' ')} ${p}`).join('; ')
          : err.message;
      error.hidden = false;
    }
  });
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
  wireNewUser();
  await Promise.all([loadUsers(), loadAppointments()]);
}

main().catch((err) => {
  $('status').textContent = `Could not load: ${err.message}`;
});
