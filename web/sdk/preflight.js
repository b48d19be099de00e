// runPreflight: twilio-video's connectivity test, on Confide's server.
//
// twilio-video connects two peer connections to each other through Twilio's
// TURN servers. Confide tests what a call with a clinic's own server needs
// instead: the websocket (the token checked as for a join), ICE to the
// server's media port (or over TCP or TURN, as a call would), DTLS, and
// media both ways through the SFU. One peer connection publishes synthetic
// audio (an oscillator) and video (a drawn canvas) in a `preflight` session
// (docs/signaling.md 4.8a), which the server sends back to it: the same path
// as another participant's media, without one.
//
// The events, the report and its units are twilio-video's: progress
// ('mediaAcquired', 'connected', 'iceConnected', 'peerConnectionConnected',
// 'dtlsConnected', 'mediaSubscribed', 'mediaStarted'), then 'completed'
// with a PreflightTestReport (jitter in seconds, rtt in milliseconds,
// packetLoss in percent), or 'failed' with a TwilioError and the report so
// far.

import { EventEmitter } from './events.js';
import { createError } from './errors.js';
import { SignalingChannel } from './signaling.js';

const DEFAULT_DURATION_MS = 10_000;
/** A step (connecting, media arriving) that takes longer than this fails. */
const STEP_TIMEOUT_MS = 30_000;
const STATS_INTERVAL_MS = 1000;

/** @typedef {{start: number, end?: number, duration?: number}} TimeMeasurement */

class Timer {
  constructor() {
    /** @type {number|undefined} */
    this.start = undefined;
    /** @type {number|undefined} */
    this.end = undefined;
  }

  begin() {
    if (this.start === undefined) this.start = Date.now();
  }

  stop() {
    if (this.start !== undefined && this.end === undefined) this.end = Date.now();
  }

  /** @returns {TimeMeasurement|undefined} */
  measurement() {
    if (this.start === undefined) return undefined;
    if (this.end === undefined) return { start: this.start };
    return { start: this.start, end: this.end, duration: this.end - this.start };
  }
}

/**
 * @param {number[]} values
 * @returns {{min: number, max: number, average: number}|null}
 */
function makeStat(values) {
  if (!values.length) return null;
  return {
    min: Math.min(...values),
    max: Math.max(...values),
    average: values.reduce((a, b) => a + b, 0) / values.length,
  };
}

/**
 * An oscillator's tone and a canvas that changes every frame: real media a
 * browser encodes, without a camera or microphone.
 * @returns {{tracks: MediaStreamTrack[], stop: () => void}}
 */
function syntheticMedia() {
  const audio = new AudioContext();
  const oscillator = audio.createOscillator();
  const destination = audio.createMediaStreamDestination();
  oscillator.connect(destination);
  oscillator.start();
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 480;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  let frame = 0;
  const draw = setInterval(() => {
    frame += 1;
    ctx.fillStyle = `hsl(${(frame * 7) % 360}, 60%, 50%)`;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#fff';
    ctx.fillText(`preflight ${frame}`, 20 + (frame % 500), 240);
  }, 1000 / 30);
  const video = canvas.captureStream(30).getVideoTracks()[0];
  const tracks = [...destination.stream.getAudioTracks(), video];
  return {
    tracks,
    stop() {
      clearInterval(draw);
      for (const t of tracks) t.stop();
      oscillator.stop();
      audio.close().catch(() => {});
    },
  };
}

/**
 * @param {RTCStatsReport} report
 * @param {string} type
 * @returns {any[]}
 */
function statsOf(report, type) {
  /** @type {any[]} */
  const out = [];
  report.forEach((s) => {
    if (s.type === type) out.push(s);
  });
  return out;
}

/**
 * @param {any} c an RTCIceCandidateStats
 */
function candidateStats(c) {
  return {
    transportId: c.transportId,
    address: c.address,
    port: c.port,
    protocol: c.protocol,
    candidateType: c.candidateType,
    priority: c.priority,
    url: c.url,
    relayProtocol: c.relayProtocol,
  };
}

export class PreflightTest extends EventEmitter {
  /**
   * @param {string} token
   * @param {{duration?: number, signalingUrl?: string, region?: string}} [options]
   */
  constructor(token, options = {}) {
    super();
    if (typeof token !== 'string' || !token) throw new TypeError('runPreflight needs an access token');
    const duration = options.duration === undefined ? DEFAULT_DURATION_MS : options.duration;
    if (typeof duration !== 'number' || !(duration >= 0)) throw new RangeError('duration must be a non-negative number of milliseconds');
    this._duration = duration;
    this._signalingUrl = options.signalingUrl;
    this._stopped = false;
    this._finished = false;
    /** @type {Array<{duration: number, name: string}>} */
    this._progressEvents = [];
    this._testTiming = new Timer();
    this._connectTiming = new Timer();
    this._iceTiming = new Timer();
    this._peerConnectionTiming = new Timer();
    this._dtlsTiming = new Timer();
    this._mediaTiming = new Timer();
    /** @type {{jitter: number[], rtt: number[], packetLoss: number[]}} */
    this._samples = { jitter: [], rtt: [], packetLoss: [] };
    /** @type {any} */
    this._selectedPair = null;
    /** @type {any[]} */
    this._candidates = [];
    /** @type {(() => void)[]} */
    this._cleanups = [];
    /** @type {(error: Error) => void} */
    this._abort = () => {};
    this._testTiming.begin();
    // Started after the caller's synchronous code, so its listeners see
    // every event (twilio-video's test also runs asynchronously).
    setTimeout(() => this._run(token), 0);
  }

  /** Stops the test; it fails with "stopped" unless it already ended. */
  stop() {
    if (this._finished) return;
    this._stopped = true;
    this._abort(createError(53000, 'the preflight test was stopped'));
  }

  toString() {
    return '[PreflightTest]';
  }

  /** @param {string} name */
  _progress(name) {
    if (this._finished || this._progressEvents.some((e) => e.name === name)) return;
    this._progressEvents.push({ duration: Date.now() - (this._testTiming.start || Date.now()), name });
    this.emit('progress', name);
  }

  _report() {
    this._testTiming.stop();
    return {
      testTiming: this._testTiming.measurement(),
      networkTiming: {
        connect: this._connectTiming.measurement(),
        ice: this._iceTiming.measurement(),
        peerConnection: this._peerConnectionTiming.measurement(),
        dtls: this._dtlsTiming.measurement(),
        media: this._mediaTiming.measurement(),
      },
      stats: {
        jitter: makeStat(this._samples.jitter),
        rtt: makeStat(this._samples.rtt),
        packetLoss: makeStat(this._samples.packetLoss),
      },
      selectedIceCandidatePairStats: this._selectedPair,
      iceCandidateStats: this._candidates,
      progressEvents: [...this._progressEvents],
    };
  }

  _cleanup() {
    for (const f of this._cleanups.splice(0)) {
      try {
        f();
      } catch {
        // cleanup goes on
      }
    }
  }

  /** @param {string} token */
  async _run(token) {
    try {
      await new Promise((resolve, reject) => {
        this._abort = reject;
        this._steps(token).then(resolve, reject);
      });
      if (this._finished) return;
      this._finished = true;
      this._cleanup();
      this.emit('completed', this._report());
    } catch (err) {
      if (this._finished) return;
      this._finished = true;
      this._cleanup();
      const error = err && typeof err.code === 'number' ? err : createError(53000, String((err && err.message) || err));
      this.emit('failed', error, this._report());
    }
  }

  /**
   * @template T
   * @param {Promise<T>} promise
   * @param {number} code
   * @param {string} what
   * @returns {Promise<T>}
   */
  _step(promise, code, what) {
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    let timer;
    const timeout = new Promise((_resolve, reject) => {
      timer = setTimeout(() => reject(createError(code, `${what} within ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS);
    });
    return /** @type {Promise<T>} */ (Promise.race([promise, timeout]).finally(() => clearTimeout(timer)));
  }

  /** @param {string} token */
  async _steps(token) {
    const media = syntheticMedia();
    this._cleanups.push(() => media.stop());
    this._progress('mediaAcquired');

    this._connectTiming.begin();
    const signaling = new SignalingChannel(this._signalingUrl);
    this._cleanups.push(() => signaling.close());
    const joined = await signaling.preflight(token, STEP_TIMEOUT_MS);
    this._connectTiming.stop();
    this._progress('connected');

    const pc = new RTCPeerConnection({ iceServers: joined.ice_servers || [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this._cleanups.push(() => pc.close());
    this._watchConnection(pc);
    /** @type {Promise<void>} */
    const lost = new Promise((_resolve, reject) => {
      signaling.on('closed', (/** @type {Error} */ error) => reject(error));
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'failed') reject(createError(53405, 'the media connection failed'));
      });
    });
    lost.catch(() => {});
    const transceivers = media.tracks.map((track) => pc.addTransceiver(track, { direction: 'sendonly' }));
    /** @type {Set<string>} */
    const received = new Set();
    /** @type {() => void} */
    let subscribed = () => {};
    const allSubscribed = new Promise((resolve) => {
      subscribed = () => resolve(undefined);
    });
    pc.ontrack = (event) => {
      received.add(event.track.kind);
      if (received.has('audio') && received.has('video')) {
        this._mediaTiming.begin();
        this._progress('mediaSubscribed');
        subscribed();
      }
    };
    pc.onicecandidate = (event) => {
      const c = event.candidate;
      if (c && c.candidate) signaling.send({ type: 'candidate', candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
    };
    /** @type {Promise<void>} negotiation steps, in order */
    let queue = Promise.resolve();
    signaling.setHandler((msg) => {
      if (msg.type === 'answer') {
        queue = queue.then(() => pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp }));
      } else if (msg.type === 'offer') {
        queue = queue.then(async () => {
          await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
          await pc.setLocalDescription(await pc.createAnswer());
          signaling.send({ type: 'answer', sdp: /** @type {RTCSessionDescription} */ (pc.localDescription).sdp });
        });
      }
      queue.catch((/** @type {any} */ err) => this._abort(createError(53402, String(err && err.message))));
    });
    await pc.setLocalDescription(await pc.createOffer());
    const tracks = transceivers.map((t, i) => ({
      mid: t.mid,
      name: `preflight-${media.tracks[i].kind}`,
      kind: media.tracks[i].kind,
    }));
    signaling.send({ type: 'offer', sdp: /** @type {RTCSessionDescription} */ (pc.localDescription).sdp, tracks });

    await this._step(Promise.race([allSubscribed, lost]), 53405, 'no media came back from the server');
    await this._step(Promise.race([this._mediaFlowing(pc), lost]), 53405, 'no media packets arrived');
    this._mediaTiming.stop();
    this._progress('mediaStarted');
    await Promise.race([this._collect(pc), lost]);
    signaling.close();
  }

  /** @param {RTCPeerConnection} pc */
  _watchConnection(pc) {
    pc.addEventListener('iceconnectionstatechange', () => {
      if (pc.iceConnectionState === 'checking') this._iceTiming.begin();
      if (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') {
        this._iceTiming.begin();
        this._iceTiming.stop();
        this._progress('iceConnected');
      }
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connecting') this._peerConnectionTiming.begin();
      if (pc.connectionState === 'connected') {
        this._peerConnectionTiming.begin();
        this._peerConnectionTiming.stop();
        this._progress('peerConnectionConnected');
      }
    });
    const watchDtls = () => {
      const transport = pc.getSenders().map((s) => s.transport).find(Boolean);
      if (!transport) return false;
      const check = () => {
        if (transport.state === 'connecting') this._dtlsTiming.begin();
        if (transport.state === 'connected') {
          this._dtlsTiming.begin();
          this._dtlsTiming.stop();
          this._progress('dtlsConnected');
        }
      };
      transport.addEventListener('statechange', check);
      check();
      return true;
    };
    pc.addEventListener('signalingstatechange', () => {
      if (!this._dtlsWatched) this._dtlsWatched = watchDtls();
    });
    /** @type {boolean} */
    this._dtlsWatched = false;
  }

  /**
   * Resolves once received audio and video packets are counted.
   * @param {RTCPeerConnection} pc
   * @returns {Promise<void>}
   */
  _mediaFlowing(pc) {
    return new Promise((resolve, reject) => {
      const poll = setInterval(async () => {
        if (this._finished) {
          clearInterval(poll);
          return;
        }
        try {
          const inbound = statsOf(await pc.getStats(), 'inbound-rtp');
          const kinds = new Set(inbound.filter((s) => s.packetsReceived > 0).map((s) => s.kind));
          if (kinds.has('audio') && kinds.has('video')) {
            clearInterval(poll);
            resolve();
          }
        } catch (err) {
          clearInterval(poll);
          reject(err);
        }
      }, 200);
      this._cleanups.push(() => clearInterval(poll));
    });
  }

  /**
   * Samples jitter, round trip time and loss every second for the test's
   * duration, and the ICE candidates in use.
   * @param {RTCPeerConnection} pc
   * @returns {Promise<void>}
   */
  _collect(pc) {
    let last = { packets: 0, lost: 0 };
    const sample = async () => {
      const report = await pc.getStats();
      const inbound = statsOf(report, 'inbound-rtp');
      const audio = inbound.filter((s) => s.kind === 'audio');
      this._samples.jitter.push(audio.reduce((m, s) => Math.max(m, s.jitter || 0), 0));
      const pairs = statsOf(report, 'candidate-pair').filter((p) => p.nominated || p.selected || p.state === 'succeeded');
      const pair = pairs.find((p) => p.currentRoundTripTime !== undefined) || pairs[0];
      if (pair && pair.currentRoundTripTime !== undefined) this._samples.rtt.push(pair.currentRoundTripTime * 1000);
      const packets = inbound.reduce((n, s) => n + (s.packetsReceived || 0), 0);
      const lost = inbound.reduce((n, s) => n + Math.max(0, s.packetsLost || 0), 0);
      const newPackets = packets - last.packets;
      const newLost = lost - last.lost;
      if (newPackets + newLost > 0) this._samples.packetLoss.push((100 * newLost) / (newPackets + newLost));
      last = { packets, lost };
      if (pair) {
        const local = report.get(pair.localCandidateId);
        const remote = report.get(pair.remoteCandidateId);
        if (local && remote) this._selectedPair = { localCandidate: candidateStats(local), remoteCandidate: candidateStats(remote) };
      }
      this._candidates = [...statsOf(report, 'local-candidate'), ...statsOf(report, 'remote-candidate')].map(candidateStats);
    };
    return new Promise((resolve, reject) => {
      const end = Date.now() + this._duration;
      const tick = async () => {
        if (this._finished) return;
        try {
          await sample();
        } catch (err) {
          reject(err);
          return;
        }
        if (Date.now() >= end) resolve(undefined);
        else timer = setTimeout(tick, Math.min(STATS_INTERVAL_MS, Math.max(0, end - Date.now())));
      };
      /** @type {ReturnType<typeof setTimeout>} */
      let timer = setTimeout(tick, 0);
      this._cleanups.push(() => clearTimeout(timer));
    });
  }
}

/**
 * twilio-video's `runPreflight(token, options)`: starts a connectivity test
 * and returns it (listen for 'progress', 'completed' and 'failed').
 * @param {string} token
 * @param {{duration?: number, signalingUrl?: string, region?: string}} [options]
 * @returns {PreflightTest}
 */
export function runPreflight(token, options) {
  return new PreflightTest(token, options);
}
