// A bare page to try a Confide call: paste a token (or pass ?token=...), join,
// see everyone else. Speaks signaling protocol v1 over ws(s)://<host>/rtc.
//
// For tests, `window.confideCall` exposes { pc, state, participants }:
//   state: 'idle' | 'connecting' | 'joined' | 'left'
//   participants: the other participants in the room, [{ sid, identity }]

const $ = (id) => document.getElementById(id);

const call = {
  pc: null,
  state: 'idle',
  participants: [],
  ws: null,
  localStream: null,
  self: null, // { sid, identity }
  midToParticipant: new Map(), // mid -> participant_sid, from the latest server offer
  queue: Promise.resolve(), // negotiation steps run one at a time, in order
  pingTimer: null,
};
window.confideCall = call;

function log(...args) {
  console.log('[confide]', ...args);
}

function setState(state, detail) {
  call.state = state;
  $('status').textContent = detail ? `${state} — ${detail}` : state;
  $('join').disabled = state === 'connecting' || state === 'joined';
  $('leave').disabled = !(state === 'connecting' || state === 'joined');
}

function send(msg) {
  if (call.ws && call.ws.readyState === WebSocket.OPEN) {
    call.ws.send(JSON.stringify(msg));
  }
}

// Run a negotiation step after the previous ones; errors are logged, not fatal.
function enqueue(step) {
  call.queue = call.queue.then(step).catch((err) => {
    log('negotiation error:', err);
    $('status').textContent = `${call.state} — error: ${err.message || err}`;
  });
}

// ---- participants -----------------------------------------------------------

function identityOf(sid) {
  const p = call.participants.find((p) => p.sid === sid);
  return p ? p.identity : sid;
}

function addParticipant(p) {
  if (!p || (call.self && p.sid === call.self.sid)) return;
  if (call.participants.some((q) => q.sid === p.sid)) return;
  call.participants = [...call.participants, { sid: p.sid, identity: p.identity }];
  renderParticipants();
}

function removeParticipant(sid) {
  call.participants = call.participants.filter((p) => p.sid !== sid);
  for (const [mid, psid] of call.midToParticipant) {
    if (psid === sid) call.midToParticipant.delete(mid);
  }
  renderParticipants();
  syncRemoteMedia();
}

function renderParticipants() {
  const ul = $('participants');
  ul.replaceChildren();
  if (call.self) {
    const li = document.createElement('li');
    li.textContent = `${call.self.identity} (you)`;
    ul.append(li);
  }
  for (const p of call.participants) {
    const li = document.createElement('li');
    li.textContent = p.identity;
    li.dataset.sid = p.sid;
    ul.append(li);
  }
  // Captions may have been created before we knew the identity.
  for (const el of document.querySelectorAll('[data-participant-sid]')) {
    const caption = el.querySelector('figcaption');
    if (caption) caption.textContent = identityOf(el.dataset.participantSid);
  }
}

// ---- remote media -----------------------------------------------------------

// Make the page's remote <video>/<audio> elements match the transceivers that
// currently carry a remote track (per the latest server offer's mapping).
function syncRemoteMedia() {
  const pc = call.pc;
  const wanted = new Map(); // mid -> transceiver
  if (pc) {
    for (const t of pc.getTransceivers()) {
      if (t.mid !== null && call.midToParticipant.has(t.mid) && !t.stopped) {
        wanted.set(t.mid, t);
      }
    }
  }

  for (const el of document.querySelectorAll('[data-mid]')) {
    const t = wanted.get(el.dataset.mid);
    const psid = call.midToParticipant.get(el.dataset.mid);
    if (!t || el.dataset.participantSid !== psid || el.dataset.trackId !== t.receiver.track.id) {
      el.remove();
    }
  }

  for (const [mid, t] of wanted) {
    if (document.querySelector(`[data-mid="${CSS.escape(mid)}"]`)) continue;
    const track = t.receiver.track;
    const psid = call.midToParticipant.get(mid);
    const media = document.createElement(track.kind === 'video' ? 'video' : 'audio');
    media.autoplay = true;
    media.playsInline = true;
    media.srcObject = new MediaStream([track]);
    let holder;
    if (track.kind === 'video') {
      holder = document.createElement('figure');
      const caption = document.createElement('figcaption');
      caption.textContent = identityOf(psid);
      holder.append(media, caption);
      $('videos').append(holder);
    } else {
      holder = media;
      $('audios').append(holder);
    }
    holder.dataset.mid = mid;
    holder.dataset.participantSid = psid;
    holder.dataset.trackId = track.id;
    media.play().catch(() => {}); // autoplay policy may refuse audio; video is muted-free anyway
  }
}

// ---- signaling --------------------------------------------------------------

async function sendOffer() {
  const pc = call.pc;
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const tracks = [];
  for (const t of pc.getTransceivers()) {
    const track = t.sender.track;
    if (track && t.mid !== null) {
      tracks.push({ mid: t.mid, name: track.kind, kind: track.kind, enabled: track.enabled });
    }
  }
  log('sending offer, tracks:', JSON.stringify(tracks));
  send({ type: 'offer', sdp: pc.localDescription.sdp, tracks });
}

async function handleServerOffer(msg) {
  const pc = call.pc;
  call.midToParticipant = new Map((msg.tracks || []).map((t) => [t.mid, t.participant_sid]));
  log('server offer, tracks:', JSON.stringify(msg.tracks || []));
  // If our own offer is still outstanding we are the polite side: Chrome rolls
  // it back implicitly in setRemoteDescription.
  await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  send({ type: 'answer', sdp: pc.localDescription.sdp });
  syncRemoteMedia();
}

function onMessage(msg) {
  switch (msg.type) {
    case 'joined':
      call.self = { sid: msg.participant.sid, identity: msg.participant.identity };
      for (const p of msg.participants || []) addParticipant(p);
      renderParticipants();
      setState('joined', `room ${msg.room && msg.room.name} as ${call.self.identity}`);
      if (msg.ice_servers && msg.ice_servers.length) {
        call.pc.setConfiguration({ ...call.pc.getConfiguration(), iceServers: msg.ice_servers });
      }
      enqueue(sendOffer);
      break;
    case 'answer':
      enqueue(() => call.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp }).then(syncRemoteMedia));
      break;
    case 'offer':
      enqueue(() => handleServerOffer(msg));
      break;
    case 'participant_connected':
      addParticipant(msg.participant);
      break;
    case 'participant_disconnected':
      removeParticipant(msg.participant_sid);
      break;
    case 'track_published':
    case 'track_unpublished':
    case 'track_enabled':
    case 'dominant_speaker':
    case 'pong':
      break; // the server's next offer carries what matters for media
    case 'error':
      log('server error:', msg.code, msg.message, msg.fatal ? '(fatal)' : '');
      if (msg.fatal) {
        teardown(`error: ${msg.message}`);
      } else {
        $('status').textContent = `${call.state} — server error: ${msg.message}`;
      }
      break;
    default:
      log('unknown message', msg);
  }
}

// ---- join / leave -----------------------------------------------------------

async function getLocalMedia() {
  for (const constraints of [{ audio: true, video: true }, { audio: true }, { video: true }]) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (err) {
      log('getUserMedia', JSON.stringify(constraints), 'failed:', err.name);
    }
  }
  return null;
}

async function join(token) {
  token = (token || '').trim();
  if (!token) {
    setState('idle', 'paste a token first');
    return;
  }
  setState('connecting');
  call.participants = [];
  call.midToParticipant = new Map();
  call.queue = Promise.resolve();

  call.localStream = await getLocalMedia();
  $('local-video').srcObject = call.localStream;

  const pc = new RTCPeerConnection({ iceServers: [] });
  call.pc = pc;
  if (call.localStream) {
    for (const track of call.localStream.getTracks()) {
      pc.addTransceiver(track, { direction: 'sendonly' });
    }
  } else {
    pc.addTransceiver('audio', { direction: 'recvonly' }); // the offer needs an m-line
  }
  pc.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate) {
      send({
        type: 'candidate',
        candidate: e.candidate.candidate,
        sdpMid: e.candidate.sdpMid,
        sdpMLineIndex: e.candidate.sdpMLineIndex,
      });
    }
  };
  pc.ontrack = () => syncRemoteMedia();
  pc.onconnectionstatechange = () => log('pc connection state:', pc.connectionState);

  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/rtc`);
  call.ws = ws;
  ws.onopen = () => {
    const room = new URLSearchParams(location.search).get('room');
    send({ type: 'join', version: 1, token, ...(room ? { room } : {}) });
    let id = 0;
    call.pingTimer = setInterval(() => send({ type: 'ping', id: ++id }), 15000);
  };
  ws.onmessage = (e) => {
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch {
      log('bad frame', e.data);
      return;
    }
    onMessage(msg);
  };
  ws.onclose = (e) => {
    log('websocket closed', e.code, e.reason);
    if (call.ws === ws) teardown(e.reason || `connection closed (${e.code})`);
  };
}

function teardown(detail) {
  clearInterval(call.pingTimer);
  call.pingTimer = null;
  const ws = call.ws;
  call.ws = null;
  if (ws && ws.readyState <= WebSocket.OPEN) ws.close();
  if (call.pc) call.pc.close();
  if (call.localStream) for (const t of call.localStream.getTracks()) t.stop();
  call.localStream = null;
  $('local-video').srcObject = null;
  call.participants = [];
  call.self = null;
  call.midToParticipant = new Map();
  for (const el of document.querySelectorAll('[data-mid]')) el.remove();
  renderParticipants();
  setState('left', detail);
}

function leave() {
  send({ type: 'leave' });
  teardown();
}

$('join').addEventListener('click', () => join($('token').value).catch((err) => {
  log('join failed:', err);
  teardown(`join failed: ${err.message || err}`);
}));
$('leave').addEventListener('click', leave);
window.addEventListener('pagehide', () => { if (call.ws) leave(); });

const urlToken = new URLSearchParams(location.search).get('token');
if (urlToken) {
  $('token').value = urlToken;
  $('join').click();
}
