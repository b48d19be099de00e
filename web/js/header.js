// The bar at the top of signed-in pages: who is signed in, sign out, and on
// narrow screens a Menu button. The bar stays one row on a phone: its links
// and buttons (which wrapped onto two or three rows there) open as a panel
// under it instead. Which one shows is CSS's (app.css, the 50rem query).
import { currentUser, signOut } from './session.js';

export function wireHeader() {
  const user = currentUser();
  const who = document.getElementById('who');
  if (who && user) who.textContent = `${user.name} (${user.role})`;
  document.getElementById('sign-out')?.addEventListener('click', async () => {
    await signOut();
    location.assign('/login.html');
  });
  wireMenu();
}

/** The Menu button: opens and closes the bar's nav; Escape or a click
 *  elsewhere closes it, as menus do. */
function wireMenu() {
  const button = document.getElementById('menu');
  const bar = button?.closest('header');
  if (!button || !bar) return;
  /** @param {boolean} open */
  const set = (open) => {
    button.setAttribute('aria-expanded', String(open));
    bar.toggleAttribute('data-open', open);
  };
  button.addEventListener('click', () => set(button.getAttribute('aria-expanded') !== 'true'));
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !bar.hasAttribute('data-open')) return;
    set(false);
    button.focus();
  });
  document.addEventListener('click', (event) => {
    if (!bar.contains(/** @type {Node} */ (event.target))) set(false);
  });
}
