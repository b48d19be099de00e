// Confide's browser SDK: the part of twilio-video (v2) that applications
// use, speaking Confide's signaling protocol (docs/signaling.md) to the
// server the page came from. A page written for twilio-video works after
// changing its import to this file; both import styles work:
//
//   import Video from '/sdk/index.js';
//   import * as Video from '/sdk/index.js';
//
// Plain ES modules with no dependencies, served as they are.

import { connect } from './connect.js';
import { createLocalTracks, createLocalAudioTrack, createLocalVideoTrack } from './createtracks.js';
import { LocalTrack, LocalAudioTrack, LocalVideoTrack } from './localtrack.js';
import { RemoteTrack, RemoteAudioTrack, RemoteVideoTrack } from './remotetrack.js';
import { LocalTrackPublication, RemoteTrackPublication } from './publication.js';
import { LocalParticipant } from './localparticipant.js';
import { RemoteParticipant } from './participant.js';
import { Room } from './room.js';
import { TwilioError } from './errors.js';
import { PROTOCOL_VERSION } from './signaling.js';
import { Logger } from './logger.js';
import { LocalDataTrack, RemoteDataTrack } from './datatrack.js';
import { runPreflight } from './preflight.js';

export const version = '1.0.0';

/** Whether this browser has what the SDK needs (WebRTC with replaceTrack, websockets, getUserMedia). */
export const isSupported = typeof window !== 'undefined'
  && typeof window.RTCPeerConnection === 'function'
  && typeof window.WebSocket === 'function'
  && typeof RTCRtpSender !== 'undefined' && typeof RTCRtpSender.prototype.replaceTrack === 'function'
  && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);

export {
  connect,
  createLocalTracks,
  createLocalAudioTrack,
  createLocalVideoTrack,
  LocalTrack,
  LocalAudioTrack,
  LocalVideoTrack,
  RemoteTrack,
  RemoteAudioTrack,
  RemoteVideoTrack,
  LocalTrackPublication,
  RemoteTrackPublication,
  LocalParticipant,
  RemoteParticipant,
  Room,
  TwilioError,
  Logger,
  PROTOCOL_VERSION,
  LocalDataTrack,
  RemoteDataTrack,
  runPreflight,
};

const Video = {
  connect,
  createLocalTracks,
  createLocalAudioTrack,
  createLocalVideoTrack,
  isSupported,
  version,
  LocalTrack,
  LocalAudioTrack,
  LocalVideoTrack,
  RemoteTrack,
  RemoteAudioTrack,
  RemoteVideoTrack,
  LocalTrackPublication,
  RemoteTrackPublication,
  LocalParticipant,
  RemoteParticipant,
  Room,
  TwilioError,
  Logger,
  PROTOCOL_VERSION,
  LocalDataTrack,
  RemoteDataTrack,
  runPreflight,
};

export default Video;
