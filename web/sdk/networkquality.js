// twilio-video's Network Quality API on the server's `network_quality`
// messages (docs/signaling.md 5.14): levels 0–5 per participant, computed by
// the server from loss, round trip time, jitter and bitrate. The verbosity
// options decide how much each participant exposes, as in twilio-video:
// 0 nothing (remote default), 1 the level only (local default), 2 the level
// of each direction per kind, 3 the measurements too.

/**
 * @typedef {object} NetworkQualityConfiguration
 * @property {number} [local] 1–3, the local participant's verbosity (default 1)
 * @property {number} [remote] 0–3, remote participants' verbosity (default 0)
 */
/**
 * @typedef {object} LinkStats a link as the server measured it
 * @property {number} level
 * @property {number} loss fraction lost, 0…1
 * @property {number} rtt_ms
 * @property {number} jitter_ms
 * @property {number} [video_kbps]
 */
/**
 * @typedef {object} NetworkQualityEntry
 * @property {string} participant_sid
 * @property {number} level
 * @property {LinkStats} send
 * @property {LinkStats} recv
 */

/**
 * The verbosities for connect()'s `networkQuality` option, or null when it
 * is off (twilio-video's default: levels stay null).
 * @param {boolean|NetworkQualityConfiguration|undefined} option
 * @returns {{local: number, remote: number}|null}
 */
export function networkQualityConfiguration(option) {
  if (!option) return null;
  const given = option === true ? {} : option;
  const clamp = (/** @type {any} */ v, lo, fallback) => (Number.isInteger(v) ? Math.min(3, Math.max(lo, v)) : fallback);
  return { local: clamp(given.local, 1, 1), remote: clamp(given.remote, 0, 0) };
}

/**
 * twilio-video's NetworkQualityStats for one participant at `verbosity`
 * (null below 2).
 * @param {NetworkQualityEntry} entry
 * @param {number} verbosity
 */
export function networkQualityStats(entry, verbosity) {
  if (verbosity < 2) return null;
  const details = (/** @type {LinkStats} */ link) =>
    verbosity < 3
      ? null
      : {
          bandwidth: { actual: link.video_kbps === undefined ? null : link.video_kbps * 1000, available: null, level: link.level },
          fractionLost: { fractionLost: link.loss, level: link.level },
          latency: { jitter: link.jitter_ms, rtt: link.rtt_ms, level: link.level },
        };
  // The server measures each direction for all the participant's media:
  // audio and video share a direction's figures.
  const media = () => ({ send: entry.send.level, recv: entry.recv.level, sendStats: details(entry.send), recvStats: details(entry.recv) });
  return { level: entry.level, audio: media(), video: media() };
}

/**
 * Applies an entry to a participant (local or remote) at `verbosity`:
 * sets networkQualityLevel / networkQualityStats and emits
 * `networkQualityLevelChanged(level, stats)` when the level changes.
 * @param {any} participant
 * @param {NetworkQualityEntry} entry
 * @param {number} verbosity
 */
export function applyNetworkQuality(participant, entry, verbosity) {
  if (verbosity < 1) return;
  const stats = networkQualityStats(entry, verbosity);
  const changed = participant.networkQualityLevel !== entry.level;
  participant.networkQualityLevel = entry.level;
  participant.networkQualityStats = stats;
  if (changed) participant.emit('networkQualityLevelChanged', entry.level, stats);
}
