// A page that runs the SDK (web/sdk/test.html) the way an application does,
// for tests that need one participant per browser: connect, record the
// room's events, and read what getStats says about media and the path.

const ROOM_EVENTS = ['participantConnected', 'participantDisconnected', 'reconnecting', 'reconnected', 'disconnected'];

/** Opens the SDK test page in a new browser (`executable`: another launcher). */
export async function openSdk(h, name, executable) {
  const page = await h.browser(name, { executable });
  // A test that makes network namespaces adds and removes interfaces, and
  // Chrome aborts what it is loading when it notices (ERR_NETWORK_CHANGED,
  // on the page or one of its modules): load again.
  // Chrome may also reload by itself, which interrupts our navigation:
  // what counts is that the SDK ends up loaded, however it got there.
  for (let attempt = 1; ; attempt++) {
    await page.goto(`${h.base}/sdk/test.html`).catch(() => {});
    try {
      await page.waitForFunction(() => window.sdkLoaded === true, null, { timeout: 15_000 });
      break;
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
  return page;
}

/** Connects with `token`; the room's events go to `window.roomEvents`. */
export async function connect(page, token) {
  return page.evaluate(
    async ([token, names]) => {
      window.started = performance.now();
      window.roomEvents = [];
      const room = await window.Video.connect(token);
      window.room = room;
      for (const name of names) {
        room.on(name, (...args) => {
          const error = args.find((a) => a instanceof Error);
          window.roomEvents.push({ event: name, code: error ? error.code : undefined, at: performance.now() });
        });
      }
      return room.localParticipant.identity;
    },
    [token, ROOM_EVENTS],
  );
}

export const roomEvents = (page) => page.evaluate(() => window.roomEvents);

/** Video frames decoded and audio packets received so far, the selected
 *  candidate pair, and when the first frame was decoded (ms after connect). */
export async function mediaState(page) {
  return page.evaluate(async () => {
    const report = await window.room._pc.getStats();
    let frames = 0;
    let audioPackets = 0;
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    let path = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') audioPackets += s.packetsReceived || 0;
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = byId.get(s.selectedCandidatePairId);
        const local = pair && byId.get(pair.localCandidateId);
        const remote = pair && byId.get(pair.remoteCandidateId);
        path = local && remote && {
          local: local.candidateType,
          protocol: local.protocol,
          relayProtocol: local.relayProtocol,
          remote: `${remote.protocol} ${remote.address}:${remote.port}`,
        };
      }
    });
    if (frames > 0 && window.firstFrameMs === undefined) window.firstFrameMs = Math.round(performance.now() - window.started);
    return { frames, audioPackets, path, firstFrameMs: window.firstFrameMs, state: window.room.state };
  });
}

/** Waits until `page` has decoded more than `frames` frames and received
 *  more than `packets` audio packets; returns the media state then. */
export async function waitForMedia(h, page, who, { frames = 0, packets = 0 } = {}) {
  const { detail } = await h.waitFor(`${who} to decode video and hear audio`, 60_000, async () => {
    const s = await mediaState(page);
    return { ok: s.frames > frames && s.audioPackets > packets, detail: s };
  });
  return detail;
}
