// Admin: the clinic's people. Each row offers Edit (an inline form, its
// problems beside the fields), Close account / Reopen (closing asks first,
// in the row: a window.confirm blocks the page and reads badly on phones)
// and Send password reset. Adding a person is the form under the table.
//
// Also the small pieces the admin page's appointment rows share with these
// (`disclosures`, `problem`). Nothing runs on import.

import { api, ApiError } from './session.js';
import { el } from './appointments.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));

/** @typedef {{id: number, email: string, name: string, role: string, phone: string|null, time_zone: string, whatsapp_opt_in: boolean, active: boolean}} User */

/** An API failure in words: the server's own, or a connection problem.
 *  @param {unknown} err */
export function problem(err) {
  if (!(err instanceof ApiError)) return 'Could not reach Confide: check your connection and try again.';
  const fields = Object.entries(err.fields);
  if (fields.length) return fields.map(([f, p]) => `${f.replace('_', ' ')} ${p}`).join('; ');
  return err.message;
}

/**
 * A row's buttons that each open a panel under them (a form, a question),
 * one at a time: the button says whether its panel is open
 * (aria-expanded), focus goes into what opens and back to the button when
 * it closes, Escape closes it.
 * @param {HTMLElement} box where the panels live (the row's actions cell)
 * @returns {{add: (button: HTMLButtonElement, panel: HTMLElement, first: () => HTMLElement) => () => void}}
 *   `add` wires one pair and returns its "close" (for a Close button).
 */
export function disclosures(box) {
  /** @type {{button: HTMLButtonElement, panel: HTMLElement, first: () => HTMLElement}[]} */
  const pairs = [];
  /** @param {HTMLElement|null} which */
  const show = (which) => {
    for (const { button, panel, first } of pairs) {
      const open = panel === which;
      const was = !panel.hidden;
      panel.hidden = !open;
      button.setAttribute('aria-expanded', String(open));
      if (open && !was) first().focus();
      if (!open && was && !which) button.focus();
    }
  };
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && pairs.some((p) => !p.panel.hidden)) {
      event.preventDefault();
      show(null);
    }
  });
  return {
    add(button, panel, first) {
      panel.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      button.setAttribute('aria-controls', panel.id);
      pairs.push({ button, panel, first });
      button.addEventListener('click', () => show(panel.hidden ? panel : null));
      return () => show(null);
    },
  };
}

/** Disables every button in `box` while a request is on its way (no double sends). */
function busy(box, on) {
  box.setAttribute('aria-busy', String(on));
  for (const b of box.querySelectorAll('button')) /** @type {HTMLButtonElement} */ (b).disabled = on;
}

/**
 * The people section: `load()` (re)draws the table and returns the users,
 * which the booking form lists. `say` is the section's status line.
 * @param {{me: any, say: (text: string) => void, onUsers: (users: User[]) => void}} page
 */
export function people({ me, say, onUsers }) {
  const tbody = $('users').querySelector('tbody');

  /** Redraws the table; `focus`: the row (user id) whose button to focus
   *  again, as the button that acted is gone with the old row. */
  async function load(focus = null) {
    /** @type {User[]} */
    const users = await api('/api/users/');
    tbody.replaceChildren(...users.map(row));
    onUsers(users);
    if (focus !== null) tbody.querySelector(`tr[data-user-id="${focus}"] button`)?.focus();
    return users;
  }

  /**
   * Sends one change for `u`; on success says `message(answer)` and redraws.
   * @param {User} u @param {HTMLElement} box @param {HTMLElement} error
   * @param {() => Promise<any>} send @param {(b: any) => string} message
   */
  async function act(u, box, error, send, message) {
    error.textContent = '';
    busy(box, true);
    let text;
    try {
      text = message(await send());
    } catch (err) {
      busy(box, false);
      error.textContent = problem(err);
      return;
    }
    // Said once the table shows it.
    await load(u.id);
    say(text);
  }

  /** @param {User} u */
  function row(u) {
    const actions = el('td', { 'data-label': 'Actions', class: 'wide person-actions' });
    const error = el('p', { class: 'error row-error', role: 'alert' });
    const panels = disclosures(actions);
    const buttons = el('div', { class: 'actions' });
    const edit = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', class: 'edit', 'aria-label': `Edit ${u.name}` }, ['Edit']));
    const form = editForm(u, actions, error);
    form.close = panels.add(edit, form.node, form.first);
    buttons.append(edit);
    /** @type {HTMLElement[]} */
    const more = [];
    if (u.active) {
      if (u.id !== me.id) {
        // Closing your own account would lock you out: the server refuses it.
        const close = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', class: 'close-account', 'aria-label': `Close ${u.name}'s account` }, ['Close account']));
        const question = closeQuestion(u, actions, error);
        question.close = panels.add(close, question.node, question.first);
        buttons.append(close);
        more.push(question.node);
      }
      const reset = el('button', { type: 'button', class: 'send-reset', 'aria-label': `Send ${u.name} a password reset` }, ['Send password reset']);
      reset.addEventListener('click', () =>
        act(u, actions, error, () => api(`/api/users/${u.id}/password-reset/`, { method: 'POST' }), (b) => `${u.name}: ${b?.message || 'reset e-mail sent.'}`),
      );
      buttons.append(reset);
    } else {
      const reopen = el('button', { type: 'button', class: 'reopen', 'aria-label': `Reopen ${u.name}'s account` }, ['Reopen']);
      reopen.addEventListener('click', () =>
        act(u, actions, error, () => api(`/api/users/${u.id}/reactivate/`, { method: 'POST' }), () => `Reopened ${u.name}'s account: they can sign in again.`),
      );
      buttons.append(reopen);
    }
    actions.append(buttons, form.node, ...more, error);
    return el('tr', { 'data-user-id': String(u.id), class: u.active ? '' : 'closed' }, [
      el('td', { 'data-label': 'Name' }, [u.name]),
      el('td', { 'data-label': 'Email' }, [u.email]),
      el('td', { 'data-label': 'Role' }, [u.role]),
      el('td', { 'data-label': 'Phone' }, [u.phone ? `${u.phone}${u.whatsapp_opt_in ? ' (WhatsApp)' : ''}` : '']),
      el('td', { 'data-label': 'Time zone' }, [u.time_zone]),
      el('td', { 'data-label': 'Status' }, [
        u.active ? el('span', { class: 'state-active' }, ['Active']) : el('strong', { class: 'state-closed' }, ['Closed']),
      ]),
      actions,
    ]);
  }

  /**
   * The inline edit form. Each field's problem shows under it (the server's
   * 422 names fields; a 409 is the e-mail's).
   * @param {User} u @param {HTMLElement} box @param {HTMLElement} error
   */
  function editForm(u, box, error) {
    const id = (name) => `edit-${u.id}-${name}`;
    const field = (name, label, attrs) => {
      const input = el('input', { id: id(name), name, 'aria-describedby': id(`${name}-error`), ...attrs });
      return [el('label', { for: id(name) }, [label]), input, el('p', { id: id(`${name}-error`), class: 'field-error error' })];
    };
    const close = el('button', { type: 'button' }, ['Close']);
    const node = /** @type {HTMLFormElement} */ (
      el('form', { id: id('form'), class: 'change-form', novalidate: '', 'aria-label': `Edit ${u.name}` }, [
        ...field('name', 'Name', { value: u.name, required: '' }),
        ...field('email', 'Email', { value: u.email, type: 'email', required: '' }),
        ...field('phone', 'Phone (E.164, for WhatsApp; empty removes it)', { value: u.phone || '', type: 'tel' }),
        ...field('time_zone', 'Time zone', { value: u.time_zone }),
        el('label', { class: 'check' }, [
          el('input', { name: 'whatsapp_opt_in', type: 'checkbox', ...(u.whatsapp_opt_in ? { checked: '' } : {}) }),
          'Agreed to WhatsApp reminders',
        ]),
        el('p', { id: id('whatsapp_opt_in-error'), class: 'field-error error' }),
        el('div', { class: 'actions' }, [el('button', { type: 'submit', class: 'primary' }, ['Save']), close]),
      ])
    );
    const form = { node, first: () => /** @type {HTMLElement} */ (node.elements.namedItem('name')), close: () => {} };
    close.addEventListener('click', () => form.close());
    node.addEventListener('submit', async (event) => {
      event.preventDefault();
      for (const p of node.querySelectorAll('.field-error')) p.textContent = '';
      for (const i of node.querySelectorAll('input')) i.removeAttribute('aria-invalid');
      const value = (name) => /** @type {HTMLInputElement} */ (node.elements.namedItem(name)).value.trim();
      const typed = {
        name: value('name'),
        email: value('email'),
        phone: value('phone'), // "" removes it
        time_zone: value('time_zone'),
        whatsapp_opt_in: /** @type {HTMLInputElement} */ (node.elements.namedItem('whatsapp_opt_in')).checked,
      };
      // Only what changed: the audit log records the fields sent.
      /** @type {Record<string, any>} */
      const body = Object.fromEntries(Object.entries(typed).filter(([k, v]) => v !== (k === 'phone' ? u.phone || '' : u[k])));
      error.textContent = '';
      if (!Object.keys(body).length) {
        error.textContent = 'Nothing changed.';
        return;
      }
      busy(box, true);
      try {
        await api(`/api/users/${u.id}/`, { method: 'PATCH', body });
      } catch (err) {
        busy(box, false);
        /** @type {Record<string, string>} */
        const fields = err instanceof ApiError ? { ...err.fields } : {};
        if (err instanceof ApiError && err.status === 409) fields.email = err.message;
        let first = null;
        for (const [name, text] of Object.entries(fields)) {
          const slot = node.querySelector(`#${id(`${name}-error`)}`);
          if (!slot) continue;
          slot.textContent = name === 'email' && err.status === 409 ? text : `${name.replace('_', ' ')} ${text}`;
          const input = node.elements.namedItem(name);
          input?.setAttribute('aria-invalid', 'true');
          first ??= input;
        }
        if (first) first.focus();
        else error.textContent = problem(err);
        return;
      }
      await load(u.id);
      say(`Saved ${typed.name}.`);
    });
    return form;
  }

  /** "Close Pat's account? …" [Yes, close it] [Keep it open], in the row.
   *  @param {User} u @param {HTMLElement} box @param {HTMLElement} error */
  function closeQuestion(u, box, error) {
    const question = `close-question-${u.id}`;
    const yes = el('button', { type: 'button', class: 'danger' }, ['Yes, close it']);
    const keep = el('button', { type: 'button' }, ['Keep it open']);
    const node = el('div', { id: `close-${u.id}`, class: 'change-confirm', role: 'group', 'aria-labelledby': question }, [
      el('p', { id: question }, [`Close ${u.name}'s account? They can no longer sign in, and their open sessions end. You can reopen it.`]),
      el('div', { class: 'actions' }, [yes, keep]),
    ]);
    // Focus starts on the harmless answer: a second Enter keeps it open.
    const confirm = { node, first: () => keep, close: () => {} };
    keep.addEventListener('click', () => confirm.close());
    yes.addEventListener('click', () =>
      act(u, box, error, () => api(`/api/users/${u.id}/deactivate/`, { method: 'POST' }), () => `Closed ${u.name}'s account.`),
    );
    return confirm;
  }

  wireNewUser(say, load);
  return { load };
}

/** The "Add a person" form.
 *  @param {(text: string) => void} say @param {() => Promise<any>} load */
function wireNewUser(say, load) {
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
      say(`Added ${body.name}.`);
      await load();
    } catch (err) {
      error.textContent = problem(err);
      error.hidden = false;
    }
  });
}
