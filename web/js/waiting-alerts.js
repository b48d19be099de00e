// Telling the psychologist that a patient waits to be let in, wherever
// they are: the video page (lobby-panel.js) and the dashboard's cards
// (dashboard.js). Both say it the same way: a browser notification when
// the patient starts waiting while the tab is in the background (and the
// psychologist allowed notifications), and the count in the tab's title,
// "(1) Pat is waiting — …", which a background tab shows in its strip.

/** Who waits, by appointment id (the dashboard may have two rooms open
 *  at once: a session running late and the next patient early).
 *  @type {Map<number, string>} */
const waiting = new Map();
/** The page's title before anyone waited, to go back to. */
let plainTitle = '';

/**
 * Says that `name` waits in appointment `id`'s waiting room, or (null)
 * that nobody does any more. Only the start of a wait notifies, so the
 * same news again (every change to the room calls this) is quiet.
 * @param {number} id the appointment
 * @param {string|null} name the waiting patient's first name
 */
export function waitingAlert(id, name) {
  if (waiting.size === 0) plainTitle = document.title;
  const before = waiting.has(id);
  if (name) waiting.set(id, name);
  else waiting.delete(id);
  if (name && !before) notify(id, name);
  const names = [...waiting.values()];
  document.title = names.length
    ? `(${names.length}) ${together(names)} ${names.length === 1 ? 'is' : 'are'} waiting — ${plainTitle}`
    : plainTitle;
}

/** "Pat", "Pat and Bo", "Pat, Bo and Al". @param {string[]} names */
function together(names) {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** A visible tab says it itself; a notification would only repeat it.
 *  @param {number} id @param {string} name */
function notify(id, name) {
  if (!document.hidden || !('Notification' in window) || Notification.permission !== 'granted') return;
  // One tag per appointment: with the dashboard and the video page open
  // in two tabs, the second notification replaces the first.
  const n = new Notification(`${name} is waiting`, { body: 'Open the session to let them in.', tag: `waiting-${id}` });
  n.onclick = () => window.focus();
}
