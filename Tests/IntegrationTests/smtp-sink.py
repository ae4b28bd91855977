"""A local SMTP server for lmds-notify's tests: aiosmtpd on a free port of 127.0.0.1, each message received
written to DIR as NNNN.eml (the envelope's recipients as an X-Envelope-To line first, then the bytes as
received). Prints the port on its first line of output, then serves until killed.
    python3 smtp-sink.py DIR
"""
import os
import socket
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.directory, "%04d.eml" % self.count)
        with open(path + ".tmp", "wb") as file:
            file.write(("X-Envelope-To: %s\n" % ", ".join(envelope.rcpt_tos)).encode())
            file.write(envelope.original_content.replace(b"\r\n", b"\n"))
        os.rename(path + ".tmp", path)
        return "250 OK"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    port = free_port()
    controller = Controller(Sink(sys.argv[1]), hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    while True:
        time.sleep(3600)
