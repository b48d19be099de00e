// The pre-call check: camera preview, microphone level, and pickers whose
// choice the video page uses. Linked from the 15-minute reminder
// (/pre-call?room=…) and from the video page. Works signed out too: a
// patient may test before signing in.

import { chooseDevice, chosenDevices, constraints } from './devices.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));
const check = { stream: null, level: 0, audio: null };
window.confideCheck = check;

const room = new URLSearchParams(location.search).get('room');
if (room && /^[\w-]+$/.test(room)) {
  $('back').href = `/video-session/${room}`;
  $('back').textContent = 'Go to my session';
}

async function fillPickers() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const chosen = chosenDevices();
  const current = (kind) => check.stream?.getTracks().find((t) => t.kind === kind)?.getSettings().deviceId;
  for (const [select, kind, trackKind] of [[$('camera'), 'videoinput', 'video'], [$('microphone'), 'audioinput', 'audio']]) {
    const options = devices
      .filter((d) => d.kind === kind)
      .map((d, i) => {
        const option = document.createElement('option');
        option.value = d.deviceId;
        option.textContent = d.label || `${kind === 'videoinput' ? 'Camera' : 'Microphone'} ${i + 1}`;
        return option;
      });
    select.replaceChildren(...options);
    select.value = current(trackKind) || chosen[kind] || options[0]?.value || '';
  }
}

function meter(stream) {
  check.audio?.close();
  const track = stream.getAudioTracks()[0];
  if (!track) return;
  const audio = new AudioContext();
  check.audio = audio;
  const analyser = audio.createAnalyser();
  analyser.fftSize = 1024;
  audio.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const draw = () => {
    if (check.audio !== audio) return;
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    // RMS, scaled so that speech fills most of the meter.
    check.level = Math.min(1, Math.sqrt(sum / samples.length) * 4);
    $('level').value = check.level;
    requestAnimationFrame(draw);
  };
  draw();
}

async function start() {
  check.stream?.getTracks().forEach((t) => t.stop());
  try {
    check.stream = await navigator.mediaDevices.getUserMedia(constraints());
  } catch (err) {
    $('status').textContent =
      err.name === 'NotAllowedError'
        ? 'Your browser is blocking the camera or microphone: click the camera icon in the address bar (on a phone: the site settings), allow both, then reload.'
        : `The camera or microphone could not start (${err.message}).`;
    return;
  }
  $('preview').srcObject = check.stream;
  meter(check.stream);
  await fillPickers();
  $('status').textContent = 'If you can see yourself and the bar moves when you speak, you are ready.';
}

$('camera').addEventListener('change', () => {
  chooseDevice('videoinput', $('camera').value);
  start();
});
$('microphone').addEventListener('change', () => {
  chooseDevice('audioinput', $('microphone').value);
  start();
});
window.addEventListener('pagehide', () => check.stream?.getTracks().forEach((t) => t.stop()));
start();
