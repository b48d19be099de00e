// Dates for people: in the signed-in user's own time zone (their profile's,
// which reminders use too), and wall-clock input converted back to UTC.
// Nothing here touches the page: tests import it on its own.

/** @type {Map<string, Intl.DateTimeFormat>} */
const formatters = new Map();

/**
 * One formatter per locale and options: making one is slow, and the
 * dashboard formats every card once a second.
 * @param {string|undefined} locale
 * @param {Intl.DateTimeFormatOptions} options
 */
function formatter(locale, options) {
  const key = `${locale}|${JSON.stringify(options)}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, found);
  }
  return found;
}

/** @param {string} iso @param {string} timeZone */
export function dateTime(iso, timeZone) {
  return formatter(undefined, { dateStyle: 'full', timeStyle: 'short', timeZone }).format(new Date(iso));
}

/** @param {string} iso @param {string} timeZone */
export function time(iso, timeZone) {
  return formatter(undefined, { timeStyle: 'short', timeZone }).format(new Date(iso));
}

/** The calendar day of `date` in `timeZone`, as YYYY-MM-DD. */
export function dayKey(date, timeZone) {
  return formatter('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(date);
}

/**
 * "Thursday, December 10 at 9:30 PM" (`month: 'short'`: "Dec 10"), with
 * the year only when it is not this year's.
 * @param {string} iso
 * @param {string} timeZone
 * @param {{month?: 'long'|'short', now?: number}} [options]
 */
export function dayAndTime(iso, timeZone, { month = 'long', now = Date.now() } = {}) {
  const date = new Date(iso);
  const otherYear = dayKey(date, timeZone).slice(0, 4) !== dayKey(new Date(now), timeZone).slice(0, 4);
  /** @type {Intl.DateTimeFormatOptions} */
  const options = { weekday: 'long', month, day: 'numeric', timeZone };
  if (otherYear) options.year = 'numeric';
  return `${formatter(undefined, options).format(date)} at ${time(iso, timeZone)}`;
}

/** "2 h 13 min" (rounded up, as `countdown` is) until `ms` from now. */
function hoursAndMinutes(ms) {
  const minutes = Math.max(0, Math.ceil(ms / 60_000));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h ? `${h} h${m ? ` ${m} min` : ''}` : `${m} min`;
}

/**
 * When something (a room) opens, as the words after "opens": a ticking
 * "in 12:34" within the hour; "at 9:30 PM (in 2 h 13 min)" later today;
 * "Thursday, Dec 10 at 9:30 PM" on another day (a bare "72:43:49" left
 * people working out which day that was). `long`, for a sentence rather
 * than a hint: "on Thursday, December 10 at 9:30 PM", and the clock time
 * beside the countdown too. Days and times are `timeZone`'s.
 * @param {string} iso
 * @param {string} timeZone
 * @param {{now?: number, long?: boolean}} [options]
 */
export function opensWhen(iso, timeZone, { now = Date.now(), long = false } = {}) {
  const left = Date.parse(iso) - now;
  if (Math.ceil(left / 1000) < 3600) {
    return long ? `at ${time(iso, timeZone)} (in ${countdown(left)})` : `in ${countdown(left)}`;
  }
  if (dayKey(new Date(iso), timeZone) !== dayKey(new Date(now), timeZone)) {
    const when = dayAndTime(iso, timeZone, { month: long ? 'long' : 'short', now });
    return long ? `on ${when}` : when;
  }
  return `at ${time(iso, timeZone)} (in ${hoursAndMinutes(left)})`;
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
