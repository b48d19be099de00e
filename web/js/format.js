// Dates for people: in the signed-in user's own time zone (their profile's,
// which reminders use too), and wall-clock input converted back to UTC.

/** @param {string} iso @param {string} timeZone */
export function dateTime(iso, timeZone) {
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short', timeZone }).format(new Date(iso));
}

/** @param {string} iso @param {string} timeZone */
export function time(iso, timeZone) {
  return new Intl.DateTimeFormat(undefined, { timeStyle: 'short', timeZone }).format(new Date(iso));
}

/** The calendar day of `date` in `timeZone`, as YYYY-MM-DD. */
export function dayKey(date, timeZone) {
  return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(date);
}

/** How far `timeZone` is ahead of UTC at `utcMillis`, in milliseconds. */
function offset(utcMillis, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    })
      .formatToParts(new Date(utcMillis))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return asUtc - utcMillis;
}

/** A `datetime-local` value read as wall time in `timeZone` → ISO 8601 UTC. */
export function zonedToUtc(value, timeZone) {
  const [date, clock] = value.split('T');
  const [y, m, d] = date.split('-').map(Number);
  const [h, min] = clock.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, h, min);
  // Twice: the offset at the guess may differ from the one at the answer
  // across a daylight-saving change.
  let utc = wall - offset(wall, timeZone);
  utc = wall - offset(utc, timeZone);
  return new Date(utc).toISOString();
}

/** "4:59" or "1:02:03" until `target` (ms). */
export function countdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
