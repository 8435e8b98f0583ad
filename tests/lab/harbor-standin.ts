/**
 * The lab's stand-in for one node's Harbor (test fixture, not program code). Harbor itself cannot
 * run in the lab (no registry to pull its images from), so each lab node runs this small Python
 * service instead, on the addresses the real containers would have:
 *
 * - the node's client port (https): `GET /api/v2.0/health` replays, byte for byte, what a real
 *   Harbor v2.15.2 answered (tests/fixtures/real-harbor/), and `GET /standin/node` names the node
 *   that answered (test-only; real Harbor has no such path);
 * - each component haproxy's node-local probes reach (profiles/v2/probes.ts), on the component's
 *   fixed address, added to the node's loopback: the http ones answer 200 (the probes read only
 *   the status; the 2xx is what Harbor's own images require of these paths in their Docker health
 *   checks), the tcp ones accept and never answer, like a real core or jobservice waiting on a
 *   frozen Redis.
 *
 * For the upgrade suite (only when the config names `sharedConfig`, the URL of a
 * tests/support/harbor-config-standin.ts server on the lab host, which stands for the one
 * database every core shares): Harbor's read-only switch (GET /api/v2.0/internalconfig, PUT
 * /api/v2.0/configurations) is relayed there with its Authorization header and answered as it
 * answers; any other write (POST/PUT/PATCH/DELETE) is answered with Harbor's read-only 403 while
 * the shared switch is on (the body a real harbor_core v2.15.2 sent, tests/support/harbor-core-answers.ts), and with 201 and no body
 * otherwise (a marker meaning "not refused", not a real Harbor answer). `/standin/node` also names
 * the Harbor version the node "runs": the content of STANDIN_DIR/version, which the suite writes
 * when it replaces the node's containers.
 *
 * Switches (files in FLAGS_DIR on the node): `stop-<component>` closes that listener (connection
 * refused, as when the container is gone; `stop-proxy` also closes the client port), `stop-all`
 * closes everything (containers being replaced); `hang` with a number N inside makes the client
 * port answer normally for N seconds after the file appeared and then never answer, which is how
 * a real Harbor behaved with PostgreSQL frozen (N = 10) and with Redis frozen (N = 0)
 * (../shared/reference/real-harbor/README.md).
 */
import { NodeProbe } from "../../components/profiles/types";
import { CAPTURED_CORE_ANSWERS } from "../support/harbor-core-answers";

export const FLAGS_DIR = "/run/harbor-standin";
export const STANDIN_DIR = "/etc/harbor-standin";

export const STANDIN_PY = String.raw`#!/usr/bin/python3
import json, os, socket, ssl, sys, threading, time, urllib.request, urllib.error
cfg = json.load(open(sys.argv[1]))
SHARED = cfg.get("sharedConfig")
VERSION_FILE = os.path.join(os.path.dirname(sys.argv[1]), "version")
READ_ONLY_BODY = ${JSON.stringify(CAPTURED_CORE_ANSWERS.readOnlyWrite.body)}.encode()
FLAGS = cfg["flags"]
NODE = socket.gethostname()
HEALTHY = open(cfg["healthyBody"], "rb").read()

def flag(name):
    return os.path.exists(os.path.join(FLAGS, name))

def hanging():
    p = os.path.join(FLAGS, "hang")
    try:
        after = float(open(p).read().strip() or "0")
        return time.time() - os.path.getmtime(p) >= after
    except OSError:
        return False

def respond(conn, status, body, ctype):
    head = "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n" % (status, {200: "OK", 201: "Created", 401: "Unauthorized", 403: "Forbidden"}.get(status, "Not Found"), ctype, len(body))
    if ctype == "application/json":
        head += "Set-Cookie: sid=standin; Path=/; HttpOnly\r\n"
    conn.sendall(head.encode() + b"\r\n" + body)

def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        d = conn.recv(4096)
        if not d:
            return None
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    want = int(headers.get("content-length", "0") or "0")
    while len(body) < want:
        d = conn.recv(4096)
        if not d:
            break
        body += d
    return (parts[0], parts[1] if len(parts) > 1 else "/", headers, body)

def shared(method, path, headers, body):
    req = urllib.request.Request(SHARED + path, data=body if method != "GET" else None, method=method)
    for k in ("authorization", "content-type"):
        if k in headers:
            req.add_header(k, headers[k])
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

def version():
    try:
        return open(VERSION_FILE).read().strip()
    except OSError:
        return ""

def serve_http(conn, traffic):
    try:
        req = read_request(conn)
        if req is None:
            return
        method, path, headers, body = req
        if traffic:
            while hanging():
                time.sleep(0.1)
            if path == "/api/v2.0/health":
                respond(conn, 200, HEALTHY, "application/json")
            elif path == "/standin/node":
                respond(conn, 200, json.dumps({"node": NODE, "version": version()}).encode(), "application/json")
            elif SHARED and path in ("/api/v2.0/internalconfig", "/api/v2.0/configurations"):
                status, answer = shared(method, path, headers, body)
                respond(conn, status, answer, "application/json")
            elif SHARED and method in ("POST", "PUT", "PATCH", "DELETE"):
                ro = json.loads(shared("GET", "/standin/read-only", {}, b"")[1]).get("read_only")
                if ro:
                    respond(conn, 403, READ_ONLY_BODY, "application/json")
                else:
                    respond(conn, 201, b"", "text/plain")
            else:
                respond(conn, 404, b"", "text/plain")
        else:
            respond(conn, 200, b"", "text/plain")
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass

def hold(conn):
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass
    conn.close()

class Listener(threading.Thread):
    def __init__(self, name, addr, port, kind, tls=None):
        super().__init__(daemon=True)
        self.name_, self.addr, self.port, self.kind, self.tls = name, addr, port, kind, tls
        self.sock = None
        self.conns = set()
    def wanted(self):
        if flag("stop-all") or flag("stop-" + self.name_):
            return False
        return not (self.name_ == "traffic" and flag("stop-proxy"))
    def run(self):
        while True:
            if self.wanted() and self.sock is None:
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((self.addr, self.port)); s.listen(256); s.settimeout(0.1)
                self.sock = s
            if not self.wanted() and self.sock is not None:
                self.sock.close(); self.sock = None
                for c in list(self.conns):
                    try: c.shutdown(socket.SHUT_RDWR)
                    except OSError: pass
                self.conns.clear()
            if self.sock is None:
                time.sleep(0.1); continue
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                continue
            if self.kind == "tcp":
                self.conns.add(conn)
                threading.Thread(target=hold, args=(conn,), daemon=True).start()
                continue
            if self.tls:
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except (OSError, ssl.SSLError):
                    conn.close(); continue
            threading.Thread(target=serve_http, args=(conn, self.name_ == "traffic"), daemon=True).start()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cfg["cert"], cfg["key"])
ls = [Listener("traffic", "0.0.0.0", cfg["trafficPort"], "http", ctx)]
for p in cfg["probes"]:
    if p["component"] == "proxy":
        continue  # the client port (bound on all addresses) is the proxy
    ls.append(Listener(p["component"], p["address"], p["port"], p["kind"]))
for l in ls:
    l.start()
while True:
    time.sleep(3600)
`;

export interface StandinConfig {
    flags: string;
    healthyBody: string;
    cert: string;
    key: string;
    trafficPort: number;
    probes: NodeProbe[];
    /** Upgrade suite: URL of the shared read-only switch on the lab host (see above). */
    sharedConfig?: string;
}

/** `addresses`: the components' fixed addresses, put on loopback at every start (a rebooted node has none). */
export function standinUnit(configPath: string, addresses: string[]): string {
    return `[Unit]
Description=harbor-ha lab: stand-in for one node's Harbor (see tests/lab/harbor-standin.ts)
After=network.target
[Service]
${addresses.map((a) => `ExecStartPre=/usr/sbin/ip addr replace ${a}/32 dev lo`).join("\n")}
ExecStart=/usr/bin/python3 /usr/local/lib/harbor-standin.py ${configPath}
Restart=always
RestartSec=0.2
[Install]
WantedBy=multi-user.target
`;
}
