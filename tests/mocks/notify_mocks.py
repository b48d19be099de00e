#!/usr/bin/env python3
"""The providers Confide's reminders talk to, played on 127.0.0.1 for tests.

- A real SMTP server (aiosmtpd) that parses every message it accepts with
  Python's email package: envelope, headers, the text, HTML and calendar
  parts (iCalendar lines unfolded per RFC 5545).
- An HTTP server playing Meta's WhatsApp Cloud API
  (POST /{version}/{phone_number_id}/messages) that records each request and
  answers 200 with a wamid, or 400 / 429 / 500 when told to.
- With --tls-cert/--tls-key, the SMTP server speaks TLS: STARTTLS required
  (--tls-mode starttls) or TLS from the first byte (--tls-mode implicit);
  with --auth user:password it requires SMTP AUTH.
- Control endpoints for the test: GET /_mock/emails, GET /_mock/whatsapp,
  GET /_mock/counts,
  POST /_mock/config {"whatsapp_answers": [429, 200], "smtp_answers":
  ["451 4.3.0 try later"], "delay_ms": 20}, POST /_mock/reset.

Prints one JSON line {"smtp_port": N, "http_port": M} when ready, and runs
until its standard input closes (the test ended) or it is killed.
"""

import argparse
import asyncio
import email
import email.policy
import json
import logging
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

lock = threading.Lock()
emails = []
whatsapp = []
config = {"whatsapp_answers": [], "smtp_answers": [], "delay_ms": 0}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def calendar_lines(text):
    unfolded = text.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "")
    return [line for line in unfolded.replace("\r\n", "\n").split("\n") if line]


def parse_email(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = {"text": None, "html": None, "calendar": None, "calendar_method": None}
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "text/plain" and parts["text"] is None:
            parts["text"] = part.get_content()
        elif kind == "text/html" and parts["html"] is None:
            parts["html"] = part.get_content()
        elif kind == "text/calendar":
            parts["calendar"] = calendar_lines(part.get_content())
            parts["calendar_method"] = part.get_param("method")
    return {
        "message_id": msg["Message-ID"],
        "subject": msg["Subject"],
        "from": msg["From"],
        "to": msg["To"],
        "date": msg["Date"],
        "content_type": msg.get_content_type(),
        **parts,
    }


class SmtpHandler:
    async def handle_DATA(self, server, session, envelope):
        received_at = time.time()  # the message is in; acceptance follows
        with lock:
            delay = config["delay_ms"] / 1000
            answer = config["smtp_answers"].pop(0) if config["smtp_answers"] else None
        if delay:
            await asyncio.sleep(delay)
        if answer:
            return answer
        # Parsed when a test asks (GET /_mock/emails), not here: parsing
        # every message would make this mock the slowest part of a
        # throughput benchmark.
        record = {
            "raw": envelope.original_content or envelope.content,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "received_at": received_at,
        }
        with lock:
            emails.append(record)
            number = len(emails)
        return f"250 2.0.0 OK queued as Q{number}"


ERRORS = {
    400: (131009, "(#131009) Parameter value is not valid"),
    401: (190, "Invalid OAuth access token"),
    429: (130429, "Rate limit hit"),
    500: (131000, "Something went wrong"),
}


class CloudApi(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: with Nagle on, the body would wait
    # for the client's delayed ACK (40 ms) on every request.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return {"unparsable": raw.decode("utf-8", "replace")}

    def do_GET(self):
        with lock:
            if self.path == "/_mock/emails":
                for record in emails:
                    raw = record.pop("raw", None)
                    if raw is not None:
                        record.update(parse_email(raw))
                return self.reply(200, emails)
            if self.path == "/_mock/whatsapp":
                return self.reply(200, whatsapp)
            if self.path == "/_mock/counts":
                return self.reply(200, {"emails": len(emails), "whatsapp": len(whatsapp)})
            expected_token = config.get("whatsapp_token")
        # Graph API: reading a phone number (`confide check`). With
        # `whatsapp_token` configured, any other bearer token is refused.
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 2 and parts[0].startswith("v"):
            given = self.headers.get("Authorization", "")
            if expected_token is not None and given != f"Bearer {expected_token}":
                return self.reply(401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}})
            return self.reply(200, {"display_phone_number": "+1 555-0100", "verified_name": "Mock Clinic", "id": parts[1]})
        self.reply(404, {"error": "no such mock endpoint"})

    def do_POST(self):
        body = self.read_json()
        if self.path == "/_mock/config":
            with lock:
                config.update(body)
            return self.reply(200, config)
        if self.path == "/_mock/reset":
            with lock:
                emails.clear()
                whatsapp.clear()
                config.update({"whatsapp_answers": [], "smtp_answers": [], "delay_ms": 0})
            return self.reply(200, {})
        if self.path.endswith("/messages"):
            received_at = time.time()
            with lock:
                delay = config["delay_ms"] / 1000
                status = config["whatsapp_answers"].pop(0) if config["whatsapp_answers"] else 200
            if delay:
                time.sleep(delay)
            record = {
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "content_type": self.headers.get("Content-Type"),
                "body": body,
                "status": status,
                "received_at": received_at,
            }
            with lock:
                whatsapp.append(record)
                number = len(whatsapp)
            if status == 200:
                return self.reply(200, {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                    "messages": [{"id": f"wamid.MOCK{number:06d}"}],
                })
            code, message = ERRORS.get(status, (1, "error"))
            return self.reply(status, {"error": {"message": message, "type": "OAuthException", "code": code}})
        self.reply(404, {"error": "no such mock endpoint"})


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client (Confide) killed or stopped mid-request is what some
        # tests do on purpose: not worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


def main():
    # aiosmtpd logs a traceback for every refused TLS handshake, which one
    # test causes on purpose; the tests judge outcomes, not this log.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser()
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--tls-mode", choices=["starttls", "implicit"], default="starttls")
    parser.add_argument("--auth", help="user:password the SMTP server requires")
    args = parser.parse_args()
    smtp_port = free_port()
    options = {}
    if args.auth:
        user, password = args.auth.encode().split(b":", 1)

        def authenticator(server, session, envelope, mechanism, data):
            return AuthResult(success=isinstance(data, LoginPassword) and data.login == user and data.password == password)

        # aiosmtpd counts only STARTTLS as encryption, not TLS from the first byte.
        options.update(authenticator=authenticator, auth_required=True, auth_require_tls=args.tls_mode == "starttls" and bool(args.tls_cert))
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_mode == "starttls":
            options.update(tls_context=context, require_starttls=True)
        else:
            options.update(ssl_context=context)
    controller = Controller(SmtpHandler(), hostname="127.0.0.1", port=smtp_port, **options)
    controller.start()
    http = QuietServer(("127.0.0.1", 0), CloudApi)
    http.daemon_threads = True
    threading.Thread(target=http.serve_forever, daemon=True).start()
    print(json.dumps({"smtp_port": smtp_port, "http_port": http.server_address[1]}), flush=True)
    sys.stdin.read()  # returns when the test closes our stdin or exits
    http.shutdown()
    controller.stop()


if __name__ == "__main__":
    main()
