// The video page (/video-session/{room} and /appointments/{id}/video),
// written against the twilio-video API as the seed's VideoCallPage is: find
// the appointment, ask for camera and microphone, fetch the token, connect,
// show the other person large and yourself small. A camera that is missing,
// refused or broken does not keep anyone out: the call is joined with the
// microphone alone (or by choice, with ?audio=only) and Camera on starts it later.
//
// A network that drops for a while does not end the session either: while
// the SDK reconnects (or the other person's connection is interrupted) both
// see "Connection unstable — reconnecting", and when the SDK gives up (the
// server's reconnect window passed) the page joins again by itself, with
// back-off, for as long as the page is open.
//
// With the clinic's waiting room on, a patient waits in the *lobby* (their
// own camera showing) until the psychologist lets them in; the
// psychologist's page shows who waits (lobby-panel.js).
//
// With the clinic's end-to-end encryption on (the token says so), the two
// browsers encrypt their media with keys the server never sees, and the
// page shows the safety code both can read to each other (web/sdk/e2ee.js).
//
// States (on #call's data-state, and window.confideVideo.state for tests):
// loading, permission, blocked, too-early, closed, cancelled, not-yours,
// lobby, removed, link-used, connecting, waiting, in-call, reconnecting,
// ended, error.

import Video from '/sdk/index.js';
import { api, ApiError, currentUser, loginUrl, publicApi, requireSignIn, session, startSession } from './session.js';
import { dayAndTime, dayKey, opensWhen, time } from './format.js';
import { constraints } from './devices.js';
import { arrive, follow, leave as leaveWaitingRoom, noteText } from './waiting-room.js';
import { hostPanel } from './lobby-panel.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));

const page = {
  state: 'loading',
  /** @type {any} */ room: null,
  /** @type {any[]} */ tracks: [],
  /** @type {any} */ appointment: null,
  /** Why the call was joined without the camera, if it was. */
  audioOnly: '',
  other: { name: 'the other person' },
};
window.confideVideo = page;

/**
 * Shows a state: its sentence, and buttons or links for a way forward.
 * @param {string} state
 * @param {string} text
 * @param {{label: string, href?: string, onClick?: () => void}[]} [actions]
 */
function show(state, text, actions = []) {
  page.state = state;
  $('call').dataset.state = state;
  $('message-text').textContent = text;
  $('message-actions').replaceChildren(
    ...actions.map((a) => {
      const node = document.createElement(a.href ? 'a' : 'button');
      node.textContent = a.label;
      node.className = 'button';
      if (a.href) node.setAttribute('href', a.href);
      else {
        node.setAttribute('type', 'button');
        node.addEventListener('click', a.onClick);
      }
      return node;
    }),
  );
  if (state !== 'lobby') $('message-note').hidden = true;
  const live = state === 'lobby' || state === 'waiting' || state === 'in-call' || state === 'reconnecting';
  $('mic').disabled = !live;
  $('camera').disabled = !live;
}

const QUALITY_WORDS = ['no connection', 'very poor', 'poor', 'fair', 'good', 'excellent'];

/**
 * Shows a network quality level (0–5, or null: not known yet) as bars.
 * @param {string} id
 * @param {number|null} level
 * @param {string} whose
 */
function showQuality(id, level, whose) {
  const node = $(id);
  node.hidden = level === null || level === undefined;
  if (node.hidden) return;
  node.dataset.level = String(level);
  node.setAttribute('aria-label', `${whose} connection: ${QUALITY_WORDS[level]} (${level} of 5)`);
  node.title = node.getAttribute('aria-label');
}

/** Failures another connect() may get past: the network, the server
 * restarting or no longer holding our place. */
const RETRYABLE = new Set([53000, 53001, 53002, 53204, 53405]);
/** Back-off between joins after the connection was lost for good. */
const REJOIN_DELAYS_MS = [0, 1000, 2000, 4000, 8000];

/** Back to the dashboard; a sign-in link's session (bound to this one
 * appointment) has no dashboard to go back to, so it offers signing in. */
const toDashboard = {
  get label() {
    return session()?.appointment_id ? 'Sign in to see all your appointments' : 'Back to my appointments';
  },
  get href() {
    return session()?.appointment_id ? loginUrl('/') : '/';
  },
};
const retry = { label: 'Try again', onClick: () => location.reload() };

function target() {
  const room = location.pathname.match(/^\/video-session\/([^/]+)\/?$/);
  if (room) return { room: decodeURIComponent(room[1]) };
  const id = location.pathname.match(/^\/appointments\/(\d+)\/video\/?$/);
  return id ? { id: Number(id[1]) } : null;
}

// ---- media on the page -----------------------------------------------------

function attachRemote(track) {
  if (track.kind === 'video') {
    $('remote-media').replaceChildren(track.attach());
  } else if (track.kind === 'audio') {
    const audio = track.attach();
    audio.hidden = true;
    document.body.append(audio);
  }
}

function detachRemote(track) {
  for (const element of track.detach()) element.remove();
}

function remoteIndicators(participant) {
  const name = page.other.name;
  const video = [...participant.videoTracks.values()][0];
  const audio = [...participant.audioTracks.values()][0];
  const cameraOff = !video || !video.isTrackEnabled;
  const micOff = !audio || !audio.isTrackEnabled;
  $('remote-camera-off').hidden = !cameraOff;
  $('remote-camera-off').textContent = `${name}'s camera is off`;
  $('remote-mic-off').hidden = !micOff;
  $('remote-mic-off').textContent = `🔇 ${name} is muted`;
  $('remote').dataset.cameraOff = String(cameraOff);
  $('remote').dataset.micOff = String(micOff);
}

function clearRemote() {
  $('remote-media').replaceChildren();
  showQuality('remote-quality', null, '');
  $('remote-camera-off').hidden = true;
  $('remote-mic-off').hidden = true;
  delete $('remote').dataset.cameraOff;
  delete $('remote').dataset.micOff;
}

function waitingOrInCall() {
  const room = page.room;
  if (!room || room.state === 'disconnected') return;
  if (room.state === 'reconnecting') {
    show('reconnecting', 'Connection unstable — reconnecting…');
  } else if ([...room.participants.values()].some((p) => p.state === 'reconnecting')) {
    show('reconnecting', `Connection unstable — reconnecting ${page.other.name}…`);
    for (const participant of room.participants.values()) remoteIndicators(participant);
  } else if (room.participants.size === 0) {
    clearRemote();
    show('waiting', `Waiting for ${page.other.name} to join…`);
  } else {
    show('in-call', `In a call with ${page.other.name}`);
    for (const participant of room.participants.values()) remoteIndicators(participant);
  }
}

function watchParticipant(participant) {
  for (const publication of participant.tracks.values()) {
    if (publication.track) attachRemote(publication.track);
  }
  participant.on('trackSubscribed', (track) => {
    attachRemote(track);
    remoteIndicators(participant);
  });
  participant.on('trackUnsubscribed', (track) => detachRemote(track));
  for (const event of ['trackEnabled', 'trackDisabled', 'trackPublished', 'trackUnpublished']) {
    participant.on(event, () => remoteIndicators(participant));
  }
  participant.on('reconnecting', () => waitingOrInCall());
  participant.on('reconnected', () => waitingOrInCall());
  participant.on('networkQualityLevelChanged', (level) => showQuality('remote-quality', level, `${page.other.name}'s`));
  showQuality('remote-quality', participant.networkQualityLevel, `${page.other.name}'s`);
  remoteIndicators(participant);
}

// ---- controls --------------------------------------------------------------

function wireControls() {
  $('mic').addEventListener('click', () => {
    const audio = page.tracks.find((t) => t.kind === 'audio');
    if (!audio) return;
    if (audio.isEnabled) audio.disable();
    else audio.enable();
    $('mic').setAttribute('aria-pressed', String(!audio.isEnabled));
    $('mic').textContent = audio.isEnabled ? 'Mute' : 'Unmute';
  });
  $('camera').addEventListener('click', () => {
    const video = page.tracks.find((t) => t.kind === 'video');
    if (!video) return startCamera();
    if (video.isEnabled) video.disable();
    else video.enable();
    $('camera').setAttribute('aria-pressed', String(!video.isEnabled));
    $('camera').textContent = video.isEnabled ? 'Camera off' : 'Camera on';
    $('local-camera-off').hidden = video.isEnabled;
  });
  // Testing the camera and mic is another page: leaving a call for it
  // is said first, not done silently.
  $('check').addEventListener('click', (/** @type {Event} */ event) => {
    if (!page.room || page.room.state === 'disconnected') return;
    event.preventDefault();
    $('check-go').setAttribute('href', $('check').getAttribute('href'));
    $('check-confirm').hidden = false;
  });
  $('check-stay').addEventListener('click', () => ($('check-confirm').hidden = true));
  $('leave').addEventListener('click', () => {
    leave();
    location.assign(toDashboard.href);
  });
  window.addEventListener('pagehide', leave);
}

/** In the call with audio only: says why on the local tile, and offers
 *  the camera. */
function audioOnly(reason) {
  $('local-camera-off').textContent = reason;
  $('local-camera-off').hidden = false;
  $('camera').textContent = 'Camera on';
  $('camera').setAttribute('aria-pressed', 'true');
}

/** Turns the camera on in a call joined with audio only: a new track,
 *  published to the room. */
async function startCamera() {
  try {
    const track = await Video.createLocalVideoTrack(constraints().video);
    page.tracks.push(track);
    $('local-media').replaceChildren(track.attach());
    if (page.room && page.room.state !== 'disconnected') await page.room.localParticipant.publishTrack(track);
    $('local-camera-off').textContent = 'Camera off';
    $('local-camera-off').hidden = true;
    $('camera').textContent = 'Camera off';
    $('camera').setAttribute('aria-pressed', 'false');
  } catch (err) {
    audioOnly(`The camera could not start (${(err && err.message) || err}). You are still in the call with audio.`);
  }
}

function leave() {
  page.leaving = true;
  if (page.stopFollowing) page.stopFollowing();
  if (page.room && page.room.state !== 'disconnected') page.room.disconnect();
  for (const track of page.tracks) track.stop();
}

// ---- the flow --------------------------------------------------------------

async function findAppointment(where) {
  try {
    return where.room ? await api(`/api/video-sessions/${encodeURIComponent(where.room)}/`) : await api(`/api/appointments/${where.id}/`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** What fetchToken answers for a patient who must wait to be let in. */
const WAIT = 'wait';

/** The token; WAIT for a patient not let in yet; or null after showing
 * why there is none (and when to come back). */
async function fetchToken(a) {
  try {
    return await api(`/api/appointments/video-token/${a.id}/`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const zone = currentUser()?.time_zone;
    if (err.status === 403 && a.join_opens_at && Date.now() < Date.parse(a.join_opens_at)) {
      const opens = Date.parse(a.join_opens_at);
      show('too-early', tooEarly(a.join_opens_at, zone), [
        { label: 'Test camera & mic meanwhile', href: `/pre-call?room=${encodeURIComponent(a.video_room_id || '')}` },
        toDashboard,
      ]);
      // Only the sentence changes each second: rebuilding the links would
      // take the keyboard focus off them.
      setInterval(() => {
        if (Date.now() >= opens) return location.reload();
        $('message-text').textContent = tooEarly(a.join_opens_at, zone);
      }, 1000);
    } else if (err.status === 403 && a.join_closes_at && Date.now() > Date.parse(a.join_closes_at)) {
      const closed = isToday(a.join_closes_at, zone) ? `at ${time(a.join_closes_at, zone)}` : `on ${dayAndTime(a.join_closes_at, zone)}`;
      show('closed', `This session's room closed ${closed}.`, [toDashboard]);
    } else if (err.status === 410) {
      show('cancelled', 'This appointment was cancelled.', [toDashboard]);
    } else if (err.status === 403 && page.lobby) {
      return WAIT;
    } else if (err.status === 404 || err.status === 403) {
      show('not-yours', `You can't join this session: ${err.message}.`, [toDashboard]);
    } else {
      throw err;
    }
    return null;
  }
}

/** Whether `iso` falls on today's date in `zone`. @param {string} iso @param {string} zone */
function isToday(iso, zone) {
  return dayKey(new Date(iso), zone) === dayKey(new Date(), zone);
}

/**
 * Before the room opens: when it does, with the day when that is not today
 * (a session days away), and that the page joins by itself.
 * @param {string} opens the room's opening (ISO 8601)
 * @param {string} zone the user's time zone
 */
function tooEarly(opens, zone) {
  const when = opensWhen(opens, zone, { long: true });
  return isToday(opens, zone)
    ? `It's a little early. The room opens ${when}; this page will join by itself then.`
    : `It's early: the room opens ${when}. Come back then, or keep this page open and it will join by itself.`;
}

/** The page's own address with `?audio=only`: joining without the camera. */
const joinAudioOnly = { label: 'Join with audio only', href: `${location.pathname}?audio=only` };

/**
 * Camera and microphone. When the camera is missing, refused or broken
 * (or `?audio=only` asks), the microphone alone: a patient without a
 * working camera still gets to the session.
 */
async function localTracks() {
  const wanted = new URLSearchParams(location.search).get('audio') === 'only' ? 'audio' : 'both';
  show(
    'permission',
    wanted === 'audio'
      ? 'Allow this site to use your microphone when your browser asks.'
      : 'Allow this site to use your camera and microphone when your browser asks.',
    wanted === 'audio' ? [] : [joinAudioOnly],
  );
  const c = constraints();
  let cameraError = null;
  if (wanted === 'both') {
    try {
      return await Video.createLocalTracks({ audio: c.audio, video: c.video });
    } catch (err) {
      cameraError = err;
    }
  }
  try {
    const tracks = await Video.createLocalTracks({ audio: c.audio, video: false });
    page.audioOnly = cameraError
      ? `Your camera could not start (${cameraError.message || cameraError.name}), so you joined with audio only. Press Camera on to try again.`
      : 'You joined with audio only. Press Camera on to show your video.';
    return tracks;
  } catch (err) {
    refused(err);
    return null;
  }
}

/** Neither camera nor microphone: what to do about it. */
function refused(err) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    show(
      'blocked',
      'Your browser is blocking the camera or microphone. Click the camera icon in the address bar (on a phone: the browser settings for this site), allow both, then try again.',
      [retry, toDashboard],
    );
  } else if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    show('blocked', 'No microphone was found. Plug one in, or choose another on the check page.', [
      { label: 'Check camera & mic', href: '/pre-call' },
      retry,
    ]);
  } else {
    show('blocked', `The microphone could not start (${err && err.message}). Close other apps using it and try again.`, [retry, toDashboard]);
  }
}

/**
 * A reminder's one-time sign-in link (`#key=…`, the clinic's
 * `app.magic_links`): signs in, bound to this session, when nobody is
 * signed in here. The key leaves the address bar at once. False after
 * showing why the link no longer works.
 */
async function signInWithLink() {
  const key = new URLSearchParams(location.hash.slice(1)).get('key');
  if (!key) return true;
  history.replaceState(null, '', location.pathname + location.search);
  if (session()) return true;
  try {
    startSession(await publicApi('/api/auth/sign-in-link', { method: 'POST', body: { key } }));
    return true;
  } catch (err) {
    const why = err instanceof ApiError && err.status === 410 ? err.message : `the link could not be used (${(err && err.message) || err})`;
    show('link-used', `${why.charAt(0).toUpperCase()}${why.slice(1)}.`, [{ label: 'Sign in', href: loginUrl() }]);
    return false;
  }
}

async function main() {
  if (!(await signInWithLink())) return;
  if (!requireSignIn()) return;
  wireControls();
  const where = target();
  if (!where) return show('not-yours', 'This is not a video session address.', [toDashboard]);
  const appointment = await findAppointment(where);
  const me = currentUser();
  if (!appointment) {
    return show('not-yours', "This video session isn't one of your appointments. If someone sent you this link, sign in with the account the appointment was booked for.", [toDashboard]);
  }
  page.appointment = appointment;
  page.other = me.id === appointment.patient.id ? appointment.psychologist : appointment.patient;
  $('check').setAttribute('href', `/pre-call?room=${encodeURIComponent(appointment.video_room_id || '')}`);
  if (appointment.status === 'cancelled') return show('cancelled', 'This appointment was cancelled.', [toDashboard]);
  const clinic = await publicApi('/api/clinic').catch(() => ({ waiting_room: false }));
  const patient = me.id === appointment.patient.id;
  page.lobby = !!clinic.waiting_room && patient;
  let token = await fetchToken(appointment);
  if (!token) return;
  if (clinic.waiting_room && !patient) page.stopFollowing = hostPanel(appointment, me.time_zone);
  const tracks = await localTracks();
  if (!tracks) return;
  page.tracks = tracks;
  const video = tracks.find((t) => t.kind === 'video');
  if (video) $('local-media').replaceChildren(video.attach());
  else audioOnly(page.audioOnly);
  if (token === WAIT) token = await waitToBeLetIn(appointment);
  if (!token) return;
  show('connecting', `Connecting to your session with ${page.other.name}…`);
  await enterRoom(appointment, token, tracks);
}

/**
 * The patient waits in the lobby until let in: the token then, or null
 * when sent away (or the wait failed), after saying so.
 * @param {any} a the appointment
 * @returns {Promise<any>}
 */
async function waitToBeLetIn(a) {
  const name = a.psychologist.name;
  try {
    const now = await arrive(a.id);
    if (now.admitted) return admitted(a);
  } catch (err) {
    show('error', `Could not reach the waiting room (${(err && err.message) || err}).`, [retry, toDashboard]);
    return null;
  }
  // Closing the page while waiting: the psychologist is no longer told
  // someone waits.
  const gone = () => {
    leaveWaitingRoom(a.id).catch(() => {});
  };
  window.addEventListener('pagehide', gone);
  return new Promise((resolve) => {
    const stop = follow(a.id, (view) => {
      if (view.admitted) {
        stop();
        window.removeEventListener('pagehide', gone);
        resolve(admitted(a));
      } else if (view.removed) {
        stop();
        window.removeEventListener('pagehide', gone);
        sentAway(name);
        resolve(null);
      } else {
        show('lobby', `${name} will let you in shortly.`, [
          { label: 'Test camera & mic meanwhile', href: `/pre-call?room=${encodeURIComponent(a.video_room_id || '')}` },
          toDashboard,
        ]);
        $('message-note').textContent = noteText(view);
        $('message-note').hidden = !view.note;
      }
    });
    page.stopFollowing = stop;
  });
}

/** Let in: the token (or, if the admission was taken back meanwhile, the wait again). @param {any} a */
async function admitted(a) {
  const token = await fetchToken(a);
  return token === WAIT ? waitToBeLetIn(a) : token;
}

/** The psychologist removed the patient (from the lobby or the call). @param {string} name */
function sentAway(name) {
  for (const track of page.tracks) track.stop();
  show('removed', `${name} has ended this session for you. If you think this is a mistake, contact the clinic.`, [toDashboard]);
}

/**
 * Connects, and joins again by itself whenever the connection is lost for
 * good (after the SDK's own reconnection gave up), with back-off.
 * @param {any} appointment
 * @param {{access_token: string, room_name: string}} token
 * @param {any[]} tracks
 * @param {number} [attempt] how many joins in a row have failed
 */
async function enterRoom(appointment, token, tracks, attempt = 0) {
  let room;
  try {
    room = await Video.connect(token.access_token, { name: token.room_name, tracks, networkQuality: { local: 1, remote: 1 }, e2ee: !!token.end_to_end_encryption });
  } catch (err) {
    if (err && err.code === 20104) {
      // The token expired while we were away: a fresh one.
      const fresh = await fetchToken(appointment);
      if (fresh) return enterRoom(appointment, fresh, tracks, attempt + 1);
      return;
    }
    if (err && RETRYABLE.has(err.code)) return rejoinLater(appointment, token, tracks, attempt + 1, err);
    for (const track of tracks) track.stop();
    return show('error', `Could not connect (${err.message}). Check your internet connection and try again.`, [retry, toDashboard]);
  }
  page.room = room;
  showEncryption(room);
  room.localParticipant.on('networkQualityLevelChanged', (level) => showQuality('local-quality', level, 'Your'));
  room.participants.forEach(watchParticipant);
  room.on('participantConnected', (participant) => {
    watchParticipant(participant);
    waitingOrInCall();
  });
  room.on('participantDisconnected', () => waitingOrInCall());
  room.on('reconnecting', () => waitingOrInCall());
  room.on('reconnected', () => waitingOrInCall());
  room.on('disconnected', (_room, error) => {
    clearRemote();
    if (!error) {
      // The server ending it without an error, for a patient: removed.
      if (page.lobby && !page.leaving) return sentAway(appointment.psychologist.name);
      for (const track of page.tracks) track.stop();
      return;
    }
    if (RETRYABLE.has(error.code)) return rejoinLater(appointment, token, page.tracks, 0, error);
    for (const track of page.tracks) track.stop();
    const why =
      error.code === 53118 ? 'The session was ended.' :
      error.code === 53205 ? 'You joined this session somewhere else (another tab or device).' :
      `The call ended: ${error.message}.`;
    show('ended', why, [retry, toDashboard]);
  });
  waitingOrInCall();
}

/**
 * Whether the call is end-to-end encrypted, and the safety code to compare
 * once a key is agreed with the other person.
 * @param {any} room
 */
function showEncryption(room) {
  const e2ee = room.e2ee;
  $('e2ee').hidden = !e2ee;
  if (!e2ee) return;
  const render = () => {
    $('e2ee-code').textContent = e2ee.safetyCode || '…';
    $('e2ee-state').textContent = e2ee.safetyCode ? 'End-to-end encrypted' : 'End-to-end encrypted once the other person joins';
  };
  e2ee.on('safetyCode', render);
  render();
}

/**
 * Shows that we are reconnecting and joins again after the back-off.
 * @param {any} appointment
 * @param {{access_token: string, room_name: string}} token
 * @param {any[]} tracks
 * @param {number} attempt
 * @param {Error} error
 */
async function rejoinLater(appointment, token, tracks, attempt, error) {
  page.rejoins = (page.rejoins || 0) + 1;
  const delay = REJOIN_DELAYS_MS[Math.min(attempt, REJOIN_DELAYS_MS.length - 1)];
  show('reconnecting', `Connection unstable — reconnecting… (${error.message})`, [{ label: 'Leave', href: '/' }]);
  await new Promise((resolve) => setTimeout(resolve, delay));
  await enterRoom(appointment, token, tracks, attempt);
}

main().catch((err) => {
  show('error', `Something went wrong (${err.message}). Check your connection and try again.`, [retry, toDashboard]);
});
