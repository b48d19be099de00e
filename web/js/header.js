// The bar at the top of signed-in pages: who is signed in, sign out.
import { currentUser, signOut } from './session.js';

export function wireHeader() {
  const user = currentUser();
  const who = document.getElementById('who');
  if (who && user) who.textContent = `${user.name} (${user.role})`;
  document.getElementById('sign-out')?.addEventListener('click', async () => {
    await signOut();
    location.assign('/login.html');
  });
}
