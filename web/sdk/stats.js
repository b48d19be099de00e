// room.getStats() in twilio-video's shape: one StatsReport per peer
// connection (Confide has one), with a list per kind of local and remote
// track, read from the browser's RTCStatsReport: outbound-rtp with its
// media-source and remote-inbound-rtp for what this client sends,
// inbound-rtp for what it receives. Track SIDs come from the publications
// whose MediaStreamTrack the stats name. Audio levels are twilio-video's
// 0–32767, not the browser's 0–1.

/** @typedef {import('./publication.js').LocalTrackPublication} LocalTrackPublication */
/** @typedef {import('./publication.js').RemoteTrackPublication} RemoteTrackPublication */

/**
 * @typedef {object} StatsReport
 * @property {string} peerConnectionId
 * @property {object[]} localAudioTrackStats
 * @property {object[]} localVideoTrackStats
 * @property {object[]} remoteAudioTrackStats
 * @property {object[]} remoteVideoTrackStats
 */

/** @param {number|undefined} level the browser's 0–1 @returns {number|null} */
const audioLevel = (level) => (typeof level === 'number' ? Math.round(level * 32767) : null);

/** @param {any} value @returns {number|null} */
const orNull = (value) => (typeof value === 'number' ? value : null);

/**
 * @param {RTCStatsReport} report
 * @param {string} peerConnectionId
 * @param {LocalTrackPublication[]} local what this client publishes
 * @param {RemoteTrackPublication[]} remote what it is subscribed to
 * @returns {StatsReport}
 */
export function statsReport(report, peerConnectionId, local, remote) {
  /** @type {Map<string, any>} */
  const byId = new Map();
  report.forEach((s) => byId.set(s.id, s));
  const codecOf = (/** @type {any} */ s) => {
    const codec = s.codecId && byId.get(s.codecId);
    return codec && codec.mimeType ? codec.mimeType.split('/')[1] : null;
  };
  /** @type {StatsReport} */
  const out = { peerConnectionId, localAudioTrackStats: [], localVideoTrackStats: [], remoteAudioTrackStats: [], remoteVideoTrackStats: [] };
  report.forEach((s) => {
    if (s.type === 'outbound-rtp') {
      const source = s.mediaSourceId ? byId.get(s.mediaSourceId) : undefined;
      const publication = local.find((p) => source && p.track.kind !== 'data' && p.track.mediaStreamTrack.id === source.trackIdentifier);
      if (!publication) return; // a stopped or replaced sender
      const remoteInbound = [...byId.values()].find((r) => r.type === 'remote-inbound-rtp' && r.localId === s.id);
      const base = {
        trackId: publication.track.id,
        trackSid: publication.trackSid,
        timestamp: s.timestamp,
        ssrc: String(s.ssrc),
        packetsLost: orNull(remoteInbound && remoteInbound.packetsLost),
        codec: codecOf(s),
        bytesSent: orNull(s.bytesSent),
        packetsSent: orNull(s.packetsSent),
        roundTripTime: orNull(remoteInbound && remoteInbound.roundTripTime),
        jitter: orNull(remoteInbound && remoteInbound.jitter),
      };
      if (s.kind === 'audio') {
        out.localAudioTrackStats.push({ ...base, audioLevel: audioLevel(source && source.audioLevel) });
      } else {
        out.localVideoTrackStats.push({
          ...base,
          captureDimensions: source && source.width ? { width: source.width, height: source.height } : null,
          dimensions: s.frameWidth ? { width: s.frameWidth, height: s.frameHeight } : null,
          captureFrameRate: orNull(source && source.framesPerSecond),
          frameRate: orNull(s.framesPerSecond),
          qualityLimitationReason: s.qualityLimitationReason,
        });
      }
    } else if (s.type === 'inbound-rtp') {
      const publication = remote.find((p) => p.track && p.track.kind !== 'data' && p.track.mediaStreamTrack.id === s.trackIdentifier);
      if (!publication || !publication.track || publication.track.kind === 'data') return;
      const base = {
        trackId: publication.track.mediaStreamTrack.id,
        trackSid: publication.trackSid,
        timestamp: s.timestamp,
        ssrc: String(s.ssrc),
        packetsLost: orNull(s.packetsLost),
        codec: codecOf(s),
        bytesReceived: orNull(s.bytesReceived),
        packetsReceived: orNull(s.packetsReceived),
        jitter: orNull(s.jitter),
      };
      if (s.kind === 'audio') {
        out.remoteAudioTrackStats.push({ ...base, audioLevel: audioLevel(s.audioLevel) });
      } else {
        out.remoteVideoTrackStats.push({
          ...base,
          dimensions: s.frameWidth ? { width: s.frameWidth, height: s.frameHeight } : null,
          frameRate: orNull(s.framesPerSecond),
          freezeCount: s.freezeCount,
        });
      }
    }
  });
  return out;
}
