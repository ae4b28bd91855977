"""A local webhook receiver for lmds-notify's tests: HTTP on a free port of 127.0.0.1; each POST is checked
against the secret (X-Lmds-Signature: sha256=HMAC-SHA256 hex of the body) and written to DIR as NNNN.json
({"valid", "message", "event"}). The first POST is answered 500 (so that the retry is seen), the others 204.
Prints the port on its first line of output, then serves until killed.
    python3 webhook-sink.py DIR SECRET
"""
import hashlib
import hmac
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

directory, secret = sys.argv[1], sys.argv[2].encode()
count = 0


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        count += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        record = {"valid": hmac.compare_digest(expected, self.headers.get("X-Lmds-Signature", "")),
                  "message": self.headers.get("X-Lmds-Message"), "event": json.loads(body)["event"], "answered": 500 if count == 1 else 204}
        path = os.path.join(directory, "%04d.json" % count)
        with open(path + ".tmp", "w", encoding="utf-8") as file:
            json.dump(record, file)
        os.rename(path + ".tmp", path)
        self.send_response(record["answered"])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *arguments):
        pass


if __name__ == "__main__":
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    print(server.server_address[1], flush=True)
    server.serve_forever()
