// The psychologist's side of the waiting room, on the video page: who is
// waiting (and since when), Let in, Remove (from the waiting room or the
// call), and a note to the waiting patient. A patient who starts waiting
// while this tab is in the background gets a browser notification (when
// allowed) and a "(1)" in the tab's title (waiting-alerts.js, which the
// dashboard's cards use too).

import { admit, follow, leaveNote, remove } from './waiting-room.js';
import { waitingAlert } from './waiting-alerts.js';
import { time } from './format.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));

/**
 * Starts the panel for an appointment; returns a function that stops it.
 * @param {any} appointment
 * @param {string} zone the psychologist's time zone
 */
export function hostPanel(appointment, zone) {
  const panel = $('lobby-panel');
  /** @type {any} */
  let current = null;

  const run = async (/** @type {() => Promise<any>} */ action, /** @type {string} */ done) => {
    $('lobby-error').hidden = true;
    try {
      render(await action());
      $('lobby-status').textContent = done;
    } catch (err) {
      $('lobby-error').textContent = `That did not work: ${(err && err.message) || err}`;
      $('lobby-error').hidden = false;
    }
  };
  $('lobby-admit').addEventListener('click', () => run(() => admit(appointment.id), `${current.patient_first_name} is let in.`));
  $('lobby-remove').addEventListener('click', () => run(() => remove(appointment.id), `${current.patient_first_name} was removed.`));
  $('lobby-note-form').addEventListener('submit', (/** @type {Event} */ event) => {
    event.preventDefault();
    const text = $('lobby-note').value;
    run(() => leaveNote(appointment.id, text), text.trim() ? 'Note sent.' : 'Note taken down.');
  });

  /** @param {any} view */
  function render(view) {
    current = view;
    const name = view.patient_first_name;
    $('lobby-note-label').textContent = `Note to ${name} while they wait`;
    panel.dataset.waiting = String(view.waiting);
    panel.hidden = !view.waiting && !view.admitted;
    if (view.waiting) {
      $('lobby-text').textContent = `${name} is waiting${view.waiting_since ? ` (since ${time(view.waiting_since, zone)})` : ''}.`;
      $('lobby-admit').hidden = false;
      $('lobby-remove').textContent = 'Remove';
      $('lobby-note-form').hidden = false;
    } else if (view.admitted) {
      $('lobby-text').textContent = `${name} is let in.`;
      $('lobby-admit').hidden = true;
      $('lobby-remove').textContent = `Remove ${name} from the call`;
      $('lobby-note-form').hidden = true;
    }
    waitingAlert(appointment.id, view.waiting ? name : null);
  }

  const stop = follow(appointment.id, render);
  // Stopped (the psychologist leaves): no "(1)" left behind in the title.
  return () => {
    stop();
    waitingAlert(appointment.id, null);
  };
}
