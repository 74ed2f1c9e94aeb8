#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A small Nominatim-shaped peer for the outside geocoder's integration test.

Listens on a free loopback port, prints the port on stdout, and serves:
  GET /search?q=...        jsonv2 answers for a few places ([] for others);
                           counts requests and remembers the last query's
                           parameters and User-Agent
  GET /_control?mode=M     ok | slow (answer after 2 s) | fail (HTTP 500)
  GET /_stats              {"requests": n, "params": {...}, "user_agent": ...}
Exits when its standard input closes (the test ended).
"""
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LICENCE = "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright"


def place(pid, lat, lon, importance, addresstype, name, display_name, bbox):
    """One jsonv2 result in the documented shape (strings for lat/lon/bbox)."""
    return {"place_id": pid, "licence": LICENCE, "osm_type": "way", "osm_id": pid * 10,
            "lat": lat, "lon": lon, "category": "tourism", "type": "attraction",
            "place_rank": 30, "importance": importance, "addresstype": addresstype,
            "name": name, "display_name": display_name, "boundingbox": bbox}


ANSWERS = {
    "mehrangarh fort": [place(1, "26.2978", "73.0185", 0.4123, "tourism", "Mehrangarh Fort",
                              "Mehrangarh Fort, Fort Road, Jodhpur, Jodhpur Tehsil, "
                              "Jodhpur District, Rajasthan, 342006, India",
                              ["26.2942", "26.3013", "73.0155", "73.0212"])],
    "kuldhara": [place(2, "26.8125", "70.7975", 0.31, "village", "Kuldhara",
                       "Kuldhara, Jaisalmer Tehsil, Jaisalmer District, Rajasthan, India",
                       ["26.7700", "26.8600", "70.7500", "70.8500"])],
}

STATE = {"mode": "ok", "requests": 0, "params": None, "user_agent": None}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        qs = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        if u.path == "/_control":
            with LOCK:
                STATE["mode"] = qs.get("mode", ["ok"])[0]
            return self.reply(200, {"mode": STATE["mode"]})
        if u.path == "/_stats":
            with LOCK:
                return self.reply(200, dict(STATE))
        if u.path != "/search":
            return self.reply(404, {"error": "not found"})
        with LOCK:
            STATE["requests"] += 1
            STATE["params"] = qs
            STATE["user_agent"] = self.headers.get("User-Agent")
            mode = STATE["mode"]
        if mode == "fail":
            return self.reply(500, {"error": {"code": 500, "message": "Internal Server Error"}})
        if mode == "slow":
            time.sleep(2.0)
        q = " ".join(qs.get("q", [""])[0].lower().split())
        return self.reply(200, ANSWERS.get(q, []))


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the test closes the pipe
    os._exit(0)


if __name__ == "__main__":
    main()
