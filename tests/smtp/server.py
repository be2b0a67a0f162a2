#!/usr/bin/env python3
"""A real SMTP server for ecoute's tests (Debian's python3-aiosmtpd), with fault injection.

Prints "PORT <n>" once listening on 127.0.0.1. Every accepted message is saved in --maildir
as <n>.eml and logged in received.log as "<message-id>\t<recipient>\t<unix time>". The recipient's local
part chooses the behaviour:
  defer-once…   450 at RCPT the first time, then accepted
  defer…        450 at RCPT, always
  bounce…       550 at RCPT (the address does not exist)
  rejected…     550 at RCPT quoting the address, as many relays do ("<addr>: … rejected")
  drop-once…    the first time: message saved, then the connection is cut before the reply
                (the ambiguous case: the server has it, the client cannot know)
Options: --delay SECONDS before each reply to DATA; --auth USER:PASSWORD requires AUTH;
--close-after N cuts every connection, without a word, after N messages; --port N listens
on that port (default: a free one), so a test can start the server a daemon already waits for.
The server advertises PIPELINING (RFC 2920; aiosmtpd reads pipelined commands one by one) and
logs in pipelined.log each command that arrived while earlier ones were still unanswered;
--no-pipelining leaves it out of the EHLO reply, as a server without it would.
"""
import argparse
import asyncio
import email
import os
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult


class Handler:
    def __init__(self, maildir, delay, close_after, pipelining):
        self.maildir = maildir
        self.delay = delay
        self.close_after = close_after
        self.pipelining = pipelining
        self.seen = set()
        self.count = 0
        self.per_connection = {}

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # A client that pipelines has written RCPT and DATA before reading this reply: they
        # are already waiting in the server's buffer.
        if server._reader is not None and len(server._reader._buffer) > 0:
            with open(os.path.join(self.maildir, "pipelined.log"), "a") as log:
                log.write("%s\n" % address)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("defer-once") and address not in self.seen:
            self.seen.add(address)
            return "450 4.2.0 Mailbox busy, try again later"
        if local.startswith("defer") and not local.startswith("defer-once"):
            return "450 4.2.0 Mailbox busy, try again later"
        if local.startswith("bounce"):
            return "550 5.1.1 No such user here"
        if local.startswith("rejected"):
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def save(self, envelope):
        self.count += 1
        path = os.path.join(self.maildir, "%06d.eml" % self.count)
        with open(path, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        with open(os.path.join(self.maildir, "received.log"), "a") as log:
            for rcpt in envelope.rcpt_tos:
                log.write("%s\t%s\t%.6f\n" % (message.get("Message-ID", ""), rcpt, time.time()))
            log.flush()
            os.fsync(log.fileno())

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.save(envelope)
        first = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        key = ("drop", first)
        if first.split("@")[0].lower().startswith("drop-once") and key not in self.seen:
            self.seen.add(key)
            server.transport.abort()
            return "250 OK"
        sent = self.per_connection.get(id(server), 0) + 1
        self.per_connection[id(server)] = sent
        if self.close_after and sent >= self.close_after:
            loop = asyncio.get_running_loop()
            loop.call_later(0.05, server.transport.abort)
        return "250 OK queued"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--auth", default=None)
    parser.add_argument("--close-after", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-pipelining", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.maildir, exist_ok=True)
    handler = Handler(args.maildir, args.delay, args.close_after, not args.no_pipelining)

    def authenticator(server, session, envelope, mechanism, auth_data):
        user, password = args.auth.split(":", 1)
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False)

    def factory():
        if args.auth:
            return SMTP(handler, authenticator=authenticator, auth_required=True,
                        auth_require_tls=False, enable_SMTPUTF8=True)
        return SMTP(handler, enable_SMTPUTF8=True)

    async def serve():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(factory, "127.0.0.1", args.port)
        port = server.sockets[0].getsockname()[1]
        print("PORT %d" % port, flush=True)
        await server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
