#!/usr/bin/env python3
"""End-to-end smoke test of the Janus peer used by the Confide load-test harness.

What it proves, from the *root* network namespace (where the harness runs):

  * `janus.sh start` brings up Janus 1.1.2 in its own netns and its websocket
    API (subprotocol "janus-protocol") answers at $JANUS_WS;
  * the VideoRoom plugin accepts room creation over the API;
  * a real 1:1 call works through Janus: two participants ("alice", "bob"),
    each on its own websocket + Janus session, each publishing Opus audio +
    VP8 video (aiortc) and subscribing to the other one's feed:
      - alice publishes with her ICE candidates inline in the SDP offer
        (jsep "trickle": false);
      - bob publishes with a candidate-less offer and trickles his candidates
        with {"janus":"trickle"} followed by {"completed": true};
      - Janus's SDP answers/offers carry a host candidate at $JANUS_MEDIA_IP
        with a port inside $JANUS_RTP_PORTS;
      - every PeerConnection reaches ICE "completed" and Janus reports
        "webrtcup"; each subscriber decodes audio and video frames that the
        other participant sent (i.e. media really flows both ways through
        the SFU over UDP on the veth);
  * RTCP as seen from the clients: an RTCP PLI on a subscriber leg makes
    Janus send a PLI to that feed's publisher, and so does a publisher-handle
    {"request":"configure","keyframe":true}; an RTCP NACK on a subscriber leg
    is answered by Janus itself with RTX packets (nothing reaches the
    publisher). RTCP counts per leg are printed;
  * teardown (unpublish/leave/detach/destroy) is answered as documented.

The client binds its ICE host candidate to $JANUS_CLIENT_IP only (the
root-namespace end of the veth) -- what we recommend for the Rust harness --
unless --all-interfaces is given. No STUN/TURN server is used.

Tested with Janus 1.1.2 (Debian bookworm), Python 3.11, websockets 17.4,
aiortc 1.16.0.

How to run (as root, from the repository root):

    python3 -m venv /tmp/janus-smoke-venv
    /tmp/janus-smoke-venv/bin/pip install websockets aiortc
    loadtest/peers/janus.sh install
    /tmp/janus-smoke-venv/bin/python loadtest/peers/janus_smoke.py

By default the script runs `janus.sh start` itself and always runs
`janus.sh stop` at the end (also on failure or Ctrl-C). With --use-running it
talks to an instance already started with `janus.sh start` and leaves it
running. --dump FILE writes every websocket message (both directions) as JSON
lines, SDPs included; --mode loopback tests the 127.0.0.2 variant.

Exit status: 0 if every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

try:
    import websockets
    from websockets.asyncio.client import connect as ws_connect
except ImportError:  # pragma: no cover
    sys.exit("janus_smoke.py: needs the 'websockets' package (pip install websockets)")
try:
    import aioice.ice
    import av
    from aiortc import (RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCRtpSender,
                        RTCSessionDescription)
    from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
except ImportError:  # pragma: no cover
    sys.exit("janus_smoke.py: needs the 'aiortc' package (pip install aiortc)")

HERE = Path(__file__).resolve().parent
JANUS_SH = HERE / "janus.sh"
PLUGIN = "janus.plugin.videoroom"
KEEPALIVE_EVERY = 25.0  # seconds; Janus session_timeout is 60


class SmokeFailure(Exception):
    pass


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def check(cond: bool, what: str) -> None:
    if not cond:
        raise SmokeFailure(what)
    say(f"  ok: {what}")


# --------------------------------------------------------------------------
# Janus API over websocket
# --------------------------------------------------------------------------


class JanusError(Exception):
    pass


class JanusConn:
    """One websocket = one client. Requests are matched to replies by
    `transaction`; asynchronous plugin requests get an `ack` first and then an
    `event` carrying the same transaction; unsolicited events (no or unknown
    transaction) are queued per handle (`sender`)."""

    def __init__(self, url: str, name: str, transcript: list):
        self.url, self.name, self.transcript = url, name, transcript
        self.ws = None
        self.session_id: int | None = None
        self.pending: dict[str, asyncio.Future] = {}
        self.acks: dict[str, asyncio.Future] = {}
        self.queues: dict[int, asyncio.Queue] = {}
        self.session_events: asyncio.Queue = asyncio.Queue()
        self.tasks: list[asyncio.Task] = []
        self.closed = False

    def _record(self, direction: str, msg: dict) -> None:
        self.transcript.append({"t": round(time.time(), 3), "conn": self.name, "dir": direction, "msg": msg})

    async def open(self) -> None:
        self.ws = await ws_connect(self.url, subprotocols=["janus-protocol"], max_size=None, open_timeout=10)
        check(self.ws.subprotocol == "janus-protocol", f"{self.name}: websocket negotiated subprotocol janus-protocol")
        self.tasks.append(asyncio.create_task(self._reader()))

    async def _reader(self) -> None:
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                self._record("recv", msg)
                tx = msg.get("transaction")
                kind = msg.get("janus")
                if kind in ("ack", "error") and tx in self.acks:
                    fut = self.acks.pop(tx)
                    if not fut.done():
                        fut.set_result(msg)
                    continue
                if kind != "ack" and tx in self.pending:
                    fut = self.pending.pop(tx)
                    if not fut.done():
                        fut.set_result(msg)
                    # also let per-handle watchers see plugin events
                    if kind == "event" and "sender" in msg:
                        self.queue(msg["sender"]).put_nowait(msg)
                    continue
                sender = msg.get("sender")
                if sender is not None:
                    self.queue(sender).put_nowait(msg)
                else:
                    self.session_events.put_nowait(msg)
        except websockets.ConnectionClosed:
            pass
        finally:  # fail whatever still waits for a reply, at once
            self.closed = True
            for fut in list(self.pending.values()) + list(self.acks.values()):
                if not fut.done():
                    fut.set_exception(JanusError(f"{self.name}: websocket closed"))
            self.pending.clear()
            self.acks.clear()

    def queue(self, handle: int) -> asyncio.Queue:
        return self.queues.setdefault(handle, asyncio.Queue())

    async def send(self, msg: dict) -> None:
        if self.closed:
            raise JanusError(f"{self.name}: websocket closed")
        self._record("send", msg)
        await self.ws.send(json.dumps(msg))

    async def request(self, msg: dict, handle: int | None = None, ack_only: bool = False,
                      timeout: float = 15.0) -> dict:
        tx = "".join(random.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=12))
        msg = dict(msg, transaction=tx)
        if self.session_id is not None and msg.get("janus") not in ("create", "info"):
            msg["session_id"] = self.session_id
        if handle is not None:
            msg["handle_id"] = handle
        fut = asyncio.get_running_loop().create_future()
        fut.add_done_callback(lambda f: f.cancelled() or f.exception())  # no "never retrieved" noise
        (self.acks if ack_only else self.pending)[tx] = fut
        try:
            await self.send(msg)
        except Exception:
            (self.acks if ack_only else self.pending).pop(tx, None)
            raise
        try:
            reply = await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            raise JanusError(f"{self.name}: no reply to {msg.get('janus')} {msg.get('body', '')} "
                             f"within {timeout}s") from None
        if reply.get("janus") == "error":
            raise JanusError(f"{self.name}: Janus error {reply.get('error')}")
        data = reply.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(f"{self.name}: plugin error {data.get('error_code')}: {data.get('error')}")
        return reply

    async def create_session(self) -> int:
        reply = await self.request({"janus": "create"})
        self.session_id = reply["data"]["id"]
        self.tasks.append(asyncio.create_task(self._keepalive()))
        return self.session_id

    async def _keepalive(self) -> None:
        try:
            while True:
                await asyncio.sleep(KEEPALIVE_EVERY)
                await self.request({"janus": "keepalive"}, ack_only=True, timeout=10)
        except (asyncio.CancelledError, websockets.ConnectionClosed):
            pass

    async def attach(self) -> int:
        reply = await self.request({"janus": "attach", "plugin": PLUGIN})
        handle = reply["data"]["id"]
        self.queue(handle)
        return handle

    async def message(self, handle: int, body: dict, jsep: dict | None = None, timeout: float = 15.0) -> dict:
        msg = {"janus": "message", "body": body}
        if jsep is not None:
            msg["jsep"] = jsep
        return await self.request(msg, handle=handle, timeout=timeout)

    async def wait_for(self, handle: int, pred, what: str, timeout: float = 20.0) -> dict:
        q = self.queue(handle)
        deadline = time.monotonic() + timeout
        stash = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SmokeFailure(f"{self.name}: timed out after {timeout}s waiting for {what}")
                try:
                    msg = await asyncio.wait_for(q.get(), left)
                except asyncio.TimeoutError:
                    raise SmokeFailure(f"{self.name}: timed out after {timeout}s waiting for {what}") from None
                if pred(msg):
                    return msg
                stash.append(msg)
        finally:
            for m in stash:  # keep the others for later waiters
                q.put_nowait(m)

    async def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        if self.ws is not None:
            await self.ws.close()
        for t in self.tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass


def vr_data(msg: dict) -> dict:
    return msg.get("plugindata", {}).get("data", {})


# --------------------------------------------------------------------------
# Media
# --------------------------------------------------------------------------


# What RTCP Janus sends us: counted per (leg, kind, packet type) by wrapping
# aiortc's per-sender / per-receiver RTCP handlers.
RTCP_SEEN: collections.Counter = collections.Counter()
RTP_LAST_SEQ: dict = {}  # ssrc -> last RTP sequence number received (subscriber legs)
RTP_COUNT: collections.Counter = collections.Counter()  # ssrc -> packets received
_PSFB = {1: "PLI", 4: "FIR", 15: "REMB/AFB"}
_RTPFB = {1: "NACK", 15: "TWCC"}


def _rtcp_name(packet) -> str:
    name = type(packet).__name__.replace("Rtcp", "").replace("Packet", "")
    fmt = getattr(packet, "fmt", None)
    if name == "Psfb":
        return _PSFB.get(fmt, f"PSFB{fmt}")
    if name == "Rtpfb":
        return _RTPFB.get(fmt, f"RTPFB{fmt}")
    return name.upper()


def _instrument_rtcp() -> None:
    orig_s, orig_r = RTCRtpSender._handle_rtcp_packet, RTCRtpReceiver._handle_rtcp_packet

    async def on_sender(self, packet):
        RTCP_SEEN[("janus->publisher", self.kind, _rtcp_name(packet))] += 1
        return await orig_s(self, packet)

    async def on_receiver(self, packet):
        RTCP_SEEN[("janus->subscriber", self.track.kind if self.track else "?", _rtcp_name(packet))] += 1
        return await orig_r(self, packet)

    orig_rtp = RTCRtpReceiver._handle_rtp_packet

    async def on_rtp(self, packet, arrival_time_ms):
        RTP_LAST_SEQ[packet.ssrc] = packet.sequence_number
        RTP_COUNT[packet.ssrc] += 1
        return await orig_rtp(self, packet, arrival_time_ms)

    RTCRtpSender._handle_rtcp_packet = on_sender
    RTCRtpReceiver._handle_rtcp_packet = on_receiver
    RTCRtpReceiver._handle_rtp_packet = on_rtp


class SmallVideoTrack(VideoStreamTrack):
    """320x240 moving colour bars at 30 fps (cheap to VP8-encode)."""

    def __init__(self):
        super().__init__()
        self.n = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        self.n += 1
        frame = av.VideoFrame(width=320, height=240, format="yuv420p")
        for i, plane in enumerate(frame.planes):
            plane.update(bytes([(self.n * (i + 1)) % 256]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        return frame


async def count_frames(track, counters: dict) -> None:
    try:
        while True:
            await track.recv()
            counters[track.kind] = counters.get(track.kind, 0) + 1
    except (MediaStreamError, asyncio.CancelledError):
        pass


def sdp_candidates(sdp: str) -> list[str]:
    return [line[2:] for line in sdp.splitlines() if line.startswith("a=candidate:")]


def strip_candidates(sdp: str) -> str:
    lines = [ln for ln in sdp.splitlines() if not ln.startswith("a=candidate:") and ln != "a=end-of-candidates"]
    return "\r\n".join(lines) + "\r\n"


def check_janus_sdp(sdp: str, media_ip: str, lo: int, hi: int, what: str) -> None:
    cands = sdp_candidates(sdp)
    say(f"  {what} candidates: {cands}")
    hosts = []
    for c in cands:
        parts = c.split()
        # candidate:<foundation> <component> <transport> <priority> <ip> <port> typ <type>
        if len(parts) >= 8 and parts[2].lower() == "udp" and parts[7] == "host":
            hosts.append((parts[4], int(parts[5])))
    check(any(ip == media_ip for ip, _ in hosts), f"{what}: Janus offers a UDP host candidate at {media_ip}")
    check(all(lo <= port <= hi for _, port in hosts), f"{what}: candidate ports within {lo}-{hi}")
    check(all(ip == media_ip for ip, _ in hosts), f"{what}: no other host candidate than {media_ip}")
    check("a=end-of-candidates" in sdp, f"{what}: SDP carries a=end-of-candidates (Janus does not trickle)")


def new_pc() -> RTCPeerConnection:
    # iceServers=[]: aiortc would otherwise add a public STUN server.
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def wait_ice(pc: RTCPeerConnection, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while pc.iceConnectionState not in ("completed", "connected"):
        if pc.iceConnectionState == "failed":
            raise SmokeFailure(f"{what}: ICE failed")
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{what}: ICE still {pc.iceConnectionState} after {timeout}s")
        await asyncio.sleep(0.05)
    check(True, f"{what}: client-side ICE state {pc.iceConnectionState}")


# --------------------------------------------------------------------------
# Participants
# --------------------------------------------------------------------------


@dataclass
class Participant:
    name: str
    conn: JanusConn
    trickle: bool  # publish with trickled candidates instead of inline ones
    pub_handle: int = 0
    feed_id: int = 0
    private_id: int = 0
    pub_pc: RTCPeerConnection | None = None
    sub_handle: int = 0
    sub_pc: RTCPeerConnection | None = None
    sub_video_ssrc: int = 0
    sub_rtx_ssrc: int = 0
    received: dict = field(default_factory=dict)
    rx_tasks: list = field(default_factory=list)
    known_feeds: list = field(default_factory=list)


async def publish(p: Participant, room: int, env: dict) -> None:
    c = p.conn
    p.pub_handle = await c.attach()
    say(f"{p.name}: attached publisher handle {p.pub_handle}")
    joined = await c.message(p.pub_handle, {"request": "join", "ptype": "publisher", "room": room, "display": p.name})
    d = vr_data(joined)
    check(joined["janus"] == "event" and d.get("videoroom") == "joined", f"{p.name}: join -> event videoroom=joined")
    p.feed_id, p.private_id = d["id"], d["private_id"]
    p.known_feeds = [pub["id"] for pub in d.get("publishers", [])]
    say(f"{p.name}: feed id {p.feed_id}, publishers already in room: {p.known_feeds}")

    pc = p.pub_pc = new_pc()
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(SmallVideoTrack())
    await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers here
    sdp = pc.localDescription.sdp
    if p.trickle:
        jsep = {"type": "offer", "sdp": strip_candidates(sdp)}
    else:
        jsep = {"type": "offer", "sdp": sdp, "trickle": False}
    ev = await c.message(p.pub_handle, {"request": "configure", "audio": True, "video": True}, jsep=jsep)
    d = vr_data(ev)
    check(d.get("configured") == "ok", f"{p.name}: configure -> configured=ok "
          f"(audio_codec={d.get('audio_codec')}, video_codec={d.get('video_codec')})")
    check(ev.get("jsep", {}).get("type") == "answer", f"{p.name}: configure event carries jsep answer")
    check_janus_sdp(ev["jsep"]["sdp"], env["JANUS_MEDIA_IP"], *env["_range"], f"{p.name} publisher answer")
    if p.trickle:
        # BUNDLE: the first m-section's candidates are the transport's candidates.
        first = sdp.split("\r\nm=")[1]
        mid = re.search(r"^a=mid:(\S+)", first, re.M).group(1)
        cands = [{"candidate": c_, "sdpMid": mid, "sdpMLineIndex": 0} for c_ in sdp_candidates("\r\n" + first)
                 if c_.split()[1] == "1"]
        for cand in cands:
            ack = await c.request({"janus": "trickle", "candidate": cand}, handle=p.pub_handle, ack_only=True)
        ack = await c.request({"janus": "trickle", "candidate": {"completed": True}},
                              handle=p.pub_handle, ack_only=True)
        check(ack["janus"] == "ack", f"{p.name}: trickled {len(cands)} candidate(s) + completed, each acked")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="answer"))
    await wait_ice(pc, f"{p.name} publisher")
    await c.wait_for(p.pub_handle, lambda m: m.get("janus") == "webrtcup", "webrtcup (publisher)")
    check(True, f"{p.name}: Janus says webrtcup on the publisher handle")
    for kind in ("audio", "video"):
        await c.wait_for(p.pub_handle, lambda m, k=kind: m.get("janus") == "media" and m.get("type") == k
                         and m.get("receiving") is True, f"media {kind} receiving")
        check(True, f"{p.name}: Janus reports receiving {kind}")


async def subscribe(p: Participant, room: int, feed: int, env: dict) -> None:
    c = p.conn
    p.sub_handle = await c.attach()
    say(f"{p.name}: attached subscriber handle {p.sub_handle} for feed {feed}")
    ev = await c.message(p.sub_handle, {"request": "join", "ptype": "subscriber", "room": room,
                                        "private_id": p.private_id, "streams": [{"feed": feed}]})
    d = vr_data(ev)
    check(d.get("videoroom") == "attached", f"{p.name}: subscriber join -> event videoroom=attached")
    check(ev.get("jsep", {}).get("type") == "offer", f"{p.name}: attached event carries jsep offer")
    check_janus_sdp(ev["jsep"]["sdp"], env["JANUS_MEDIA_IP"], *env["_range"], f"{p.name} subscriber offer")
    video_section = ev["jsep"]["sdp"].split("m=video", 1)[1]
    p.sub_video_ssrc = int(re.search(r"^a=ssrc:(\d+) ", video_section, re.M).group(1))
    fid = re.search(r"^a=ssrc-group:FID (\d+) (\d+)", video_section, re.M)
    check(fid is not None, f"{p.name}: Janus offers RTX (ssrc-group FID) on the subscriber video")
    p.sub_rtx_ssrc = int(fid.group(2))
    pc = p.sub_pc = new_pc()

    @pc.on("track")
    def on_track(track):
        p.rx_tasks.append(asyncio.ensure_future(count_frames(track, p.received)))

    await pc.setRemoteDescription(RTCSessionDescription(sdp=ev["jsep"]["sdp"], type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    ev = await c.message(p.sub_handle, {"request": "start"},
                         jsep={"type": "answer", "sdp": pc.localDescription.sdp, "trickle": False})
    check(vr_data(ev).get("started") == "ok", f"{p.name}: start -> started=ok")
    await wait_ice(pc, f"{p.name} subscriber")
    await c.wait_for(p.sub_handle, lambda m: m.get("janus") == "webrtcup", "webrtcup (subscriber)")
    check(True, f"{p.name}: Janus says webrtcup on the subscriber handle")


async def run(args, env: dict, transcript: list) -> None:
    url = env["JANUS_WS"]
    lo, hi = (int(x) for x in env["JANUS_RTP_PORTS"].split("-"))
    env["_range"] = (lo, hi)
    _instrument_rtcp()
    if not args.all_interfaces:
        client_ip = env["JANUS_CLIENT_IP"]
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [client_ip]
        say(f"client ICE host candidates restricted to {client_ip}")

    alice = Participant("alice", JanusConn(url, "alice", transcript), trickle=False)
    bob = Participant("bob", JanusConn(url, "bob", transcript), trickle=True)
    room = args.room
    room_alive = False
    try:
        for p in (alice, bob):
            await p.conn.open()
        info = await alice.conn.request({"janus": "info"})
        check(info["janus"] == "server_info" and info.get("version_string") == "1.1.2",
              f"info -> server_info version {info.get('version_string')}, plugins {list(info.get('plugins', {}))},"
              f" transports {list(info.get('transports', {}))}")
        for p in (alice, bob):
            sid = await p.conn.create_session()
            say(f"{p.name}: session {sid}")
        ack = await alice.conn.request({"janus": "keepalive"}, ack_only=True)
        check(ack["janus"] == "ack", "keepalive -> ack")

        # Room creation is a synchronous plugin request: reply is janus=success.
        h = await alice.conn.attach()
        created = await alice.conn.message(h, {
            "request": "create", "room": room, "publishers": 10, "description": "confide-smoke",
            "audiocodec": "opus", "videocodec": "vp8", "bitrate": 1000000, "fir_freq": args.fir_freq,
            "audiolevel_ext": False, "audiolevel_event": False, "videoorient_ext": False,
            "playoutdelay_ext": False, "transport_wide_cc_ext": True, "notify_joining": False})
        check(created["janus"] == "success" and vr_data(created).get("videoroom") == "created",
              f"create room {room} -> success videoroom=created")
        room_alive = True
        try:
            await alice.conn.message(h, {"request": "create", "room": room, "publishers": 10})
            raise SmokeFailure("creating the same room twice did not fail")
        except JanusError as e:
            check("427" in str(e), f"creating it again -> plugin error 427 ({e})")
        lst = await alice.conn.message(h, {"request": "exists", "room": room})
        check(vr_data(lst).get("exists") is True, "exists -> true")
        await alice.conn.request({"janus": "detach"}, handle=h)

        # 1:1 call: alice publishes, bob joins (sees alice), publishes; alice is told about bob.
        await publish(alice, room, env)
        await publish(bob, room, env)
        check(alice.feed_id in bob.known_feeds, "bob's joined event lists alice as a publisher")
        note = await alice.conn.wait_for(
            alice.pub_handle, lambda m: any(x.get("id") == bob.feed_id for x in vr_data(m).get("publishers", [])),
            "publishers event announcing bob")
        check(note.get("transaction") is None, "alice gets an unsolicited event with publishers=[bob] (no transaction)")

        await subscribe(alice, room, bob.feed_id, env)
        await subscribe(bob, room, alice.feed_id, env)

        say(f"receiving media for {args.seconds}s ...")
        plis0 = RTCP_SEEN[("janus->publisher", "video", "PLI")]
        await asyncio.sleep(args.seconds)
        say(f"  note: {RTCP_SEEN[('janus->publisher', 'video', 'PLI')] - plis0} PLI(s) to the 2 publishers "
            f"in {args.seconds}s with room fir_freq={args.fir_freq}")
        for p in (alice, bob):
            say(f"  {p.name} decoded {p.received}")
            check(p.received.get("video", 0) >= 10 * args.seconds, f"{p.name}: received video from the other side")
            check(p.received.get("audio", 0) >= 25 * args.seconds, f"{p.name}: received audio from the other side")

        # Keyframe requests. RTCP from subscribers is terminated by Janus; a PLI
        # (or FIR) on a subscriber leg makes the VideoRoom send its own PLI to
        # the publisher of that feed.
        def plis() -> int:
            return RTCP_SEEN[("janus->publisher", "video", "PLI")]

        async def plis_after(coro) -> int:
            before = plis()
            await coro
            await asyncio.sleep(1.5)
            return plis() - before

        rx = next(r for r in alice.sub_pc.getReceivers() if r.track and r.track.kind == "video")
        n = await plis_after(rx._send_rtcp_pli(alice.sub_video_ssrc))
        check(n >= 1, f"RTCP PLI from alice's subscriber (media ssrc {alice.sub_video_ssrc}) -> "
                       f"{n} PLI at bob's publisher")
        async def pli_burst():
            for _ in range(5):
                await rx._send_rtcp_pli(alice.sub_video_ssrc)
                await asyncio.sleep(0.1)

        n = await plis_after(pli_burst())
        say(f"  note: 5 RTCP PLIs 100 ms apart from alice's subscriber -> {n} PLI(s) at bob's publisher")
        n = await plis_after(bob.conn.message(bob.pub_handle, {"request": "configure", "keyframe": True}))
        check(n >= 1, f"publisher configure keyframe=true -> {n} PLI at that publisher")
        n = await plis_after(alice.conn.message(alice.sub_handle, {"request": "configure", "keyframe": True}))
        say(f"  note: subscriber-handle configure keyframe=true -> {n} PLI at the publisher "
            "(accepted with configured=ok, but not a keyframe request in 1.1.2)")
        # NACK from a subscriber: Janus answers from its own retransmission
        # buffer with RTX packets; the publisher is not involved. The buffer
        # only spans min_nack_queue (200 ms here) when the RTT is tiny, and this
        # Python client may lag behind the wire by more than that while it
        # decodes video, so try a few times with the freshest sequence numbers.
        nacks_before = RTCP_SEEN[("janus->publisher", "video", "NACK")]
        got, tries = 0, 0
        while got == 0 and tries < 8:
            tries += 1
            last = RTP_LAST_SEQ[alice.sub_video_ssrc]
            lost = [(last - i) % 65536 for i in range(4, -1, -1)]
            rtx_before = RTP_COUNT[alice.sub_rtx_ssrc]
            await rx._send_rtcp_nack(alice.sub_video_ssrc, lost)
            await asyncio.sleep(0.5)
            got = RTP_COUNT[alice.sub_rtx_ssrc] - rtx_before
        check(got >= 1, f"NACK for seq {lost[0]}..{lost[-1]} from alice's subscriber -> {got} RTX packet(s) "
                        f"(ssrc {alice.sub_rtx_ssrc}) from Janus (attempt {tries})")
        check(RTCP_SEEN[("janus->publisher", "video", "NACK")] == nacks_before,
              "  ... and no NACK was forwarded to bob's publisher")
        say("RTCP received from Janus so far (leg, kind, type): count")
        for key, cnt in sorted(RTCP_SEEN.items()):
            say(f"    {key}: {cnt}")

        # Teardown, the polite way.
        for p in (alice, bob):
            ev = await p.conn.message(p.sub_handle, {"request": "leave"})
            check(vr_data(ev).get("left") == "ok", f"{p.name}: subscriber leave -> left=ok")
        ev = await bob.conn.message(bob.pub_handle, {"request": "unpublish"})
        check(vr_data(ev).get("unpublished") == "ok", "bob: unpublish -> unpublished=ok")
        await alice.conn.wait_for(alice.pub_handle, lambda m: vr_data(m).get("unpublished") == bob.feed_id,
                                  "unpublished notification")
        check(True, f"alice is told unpublished={bob.feed_id}")
        ev = await bob.conn.message(bob.pub_handle, {"request": "leave"})
        check(vr_data(ev).get("leaving") == "ok", "bob: leave -> leaving=ok")
        await alice.conn.wait_for(alice.pub_handle, lambda m: vr_data(m).get("leaving") == bob.feed_id,
                                  "leaving notification")
        check(True, f"alice is told leaving={bob.feed_id}")
        destroyed = await alice.conn.message(alice.pub_handle, {"request": "destroy", "room": room})
        check(vr_data(destroyed).get("videoroom") == "destroyed", "destroy room -> destroyed")
        room_alive = False
        for p in (alice, bob):
            for hnd in (p.pub_handle, p.sub_handle):
                try:
                    await p.conn.request({"janus": "detach"}, handle=hnd)
                except JanusError as e:  # handle may already be gone after destroy
                    say(f"  (detach {hnd}: {e})")
            r = await p.conn.request({"janus": "destroy"})
            check(r["janus"] == "success", f"{p.name}: destroy session -> success")
    finally:
        if room_alive:  # failed half-way: rooms outlive sessions, so remove ours
            try:
                h = await alice.conn.attach()
                await alice.conn.message(h, {"request": "destroy", "room": room}, timeout=5)
                say(f"(cleanup: destroyed room {room})")
            except Exception as e:  # noqa: BLE001 - best effort
                say(f"(cleanup: could not destroy room {room}: {e})")
        for p in (alice, bob):
            for t in p.rx_tasks:
                t.cancel()
            for pc in (p.pub_pc, p.sub_pc):
                if pc is not None:
                    await pc.close()
            await p.conn.close()


def janus_sh(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(JANUS_SH), *argv], capture_output=True, text=True, timeout=120)


def parse_env(stdout: str) -> dict:
    return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--use-running", action="store_true",
                    help="use an instance started by janus.sh start; leave it running")
    ap.add_argument("--mode", choices=["private", "loopback"], default="private", help="janus.sh start --mode")
    ap.add_argument("--ws-port", type=int, default=8188)
    ap.add_argument("--room", type=int, default=1234)
    ap.add_argument("--seconds", type=int, default=5, help="how long to receive media")
    ap.add_argument("--fir-freq", type=int, default=0, help="room fir_freq (periodic keyframe requests, s)")
    ap.add_argument("--all-interfaces", action="store_true", help="let aiortc gather on every interface")
    ap.add_argument("--dump", type=Path, help="write the websocket transcript (JSON lines) here")
    args = ap.parse_args()

    if os.geteuid() != 0 and not args.use_running:
        print("janus_smoke.py: must run as root (janus.sh needs ip netns)", file=sys.stderr)
        return 1

    started = False
    transcript: list = []
    # Make SIGTERM behave like Ctrl-C so the finally-blocks run.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    rc = 1
    try:
        if args.use_running:
            r = janus_sh("status")
            if r.returncode != 0:
                print(r.stdout + r.stderr, file=sys.stderr)
                raise SmokeFailure("no running Janus (janus.sh status)")
        else:
            say(f"janus.sh start --mode {args.mode} --ws-port {args.ws_port}")
            started = True  # even a failed start is cleaned up by stop below
            r = janus_sh("start", "--mode", args.mode, "--ws-port", str(args.ws_port), "--debug-level", "4")
            sys.stderr.write(r.stderr)
            if r.returncode != 0:
                raise SmokeFailure(f"janus.sh start failed (rc={r.returncode})")
        env = parse_env(r.stdout)
        say("janus: " + " ".join(f"{k}={v}" for k, v in env.items()))
        asyncio.run(run(args, env, transcript))
        say("ALL CHECKS PASSED")
        rc = 0
    except (SmokeFailure, JanusError) as e:
        say(f"FAILED: {e}")
    except KeyboardInterrupt:
        say("interrupted")
    finally:
        if args.dump:
            with args.dump.open("w") as f:
                for rec in transcript:
                    f.write(json.dumps(rec) + "\n")
            say(f"transcript ({len(transcript)} messages) written to {args.dump}")
        if started:
            if rc != 0:
                log = Path(os.environ.get("JANUS_RUN_DIR", "/tmp/confide-janus")) / "janus.log"
                if log.exists():
                    say("---- janus.log tail ----")
                    print("\n".join(log.read_text(errors="replace").splitlines()[-30:]), flush=True)
            r = janus_sh("stop")
            say(f"janus.sh stop -> rc={r.returncode}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
