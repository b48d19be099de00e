// The waiting room on the video page (the server's rules are in
// api/src/model/waiting_room.rs). A patient waits, seeing their own
// camera, until the psychologist lets them in; the psychologist's page
// shows who waits, with Let in, Remove and a note ("running 5 minutes
// late") the waiting patient reads. Both follow the room by long polling:
// the server answers the moment it changes (or after 25 s).

import { api, ApiError } from './session.js';

/** @param {number} id @param {string} action @param {any} [body] @param {boolean} [keepalive] */
function act(id, action, body, keepalive = false) {
  return api(`/api/appointments/${id}/waiting-room/${action}/`, { method: 'POST', body, keepalive });
}

export const arrive = (/** @type {number} */ id) => act(id, 'arrive');
export const admit = (/** @type {number} */ id) => act(id, 'admit');
export const remove = (/** @type {number} */ id) => act(id, 'remove');
export const leaveNote = (/** @type {number} */ id, /** @type {string} */ note) => act(id, 'note', { note });
/** The patient's page is closing while they wait: sent so that it outlives the page. */
export const leave = (/** @type {number} */ id) => act(id, 'leave', undefined, true);

/**
 * Calls `onNews(view)` with the waiting room now and at every change, until
 * the returned function is called. Network failures back off and retry;
 * a refusal (the appointment was cancelled, or has no waiting room) ends it.
 * @param {number} id the appointment
 * @param {(view: any) => void} onNews
 * @returns {() => void} stops following
 */
export function follow(id, onNews) {
  let stopped = false;
  (async () => {
    /** @type {number|null} */
    let seen = null;
    let failures = 0;
    while (!stopped) {
      try {
        const view = await api(`/api/appointments/${id}/waiting-room/${seen === null ? '' : `?seen=${seen}`}`);
        failures = 0;
        if (stopped) return;
        if (seen === null || view.version > seen) {
          seen = view.version;
          onNews(view);
        }
      } catch (err) {
        if (err instanceof ApiError && err.status < 500 && err.status !== 429) return;
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** Math.min(failures, 6))));
      }
    }
  })();
  return () => {
    stopped = true;
  };
}

/** "Note from Dr. Smith: …", or '' without one. @param {any} view */
export function noteText(view) {
  return view.note ? `Note from ${view.psychologist_name}: “${view.note}”` : '';
}
