"""cdp: a small Chrome DevTools Protocol driver for the browser tests.

Starts Debian's headless Chromium on 127.0.0.1 (the DevTools port chosen
by Chromium itself, --remote-debugging-port=0, and read back from the
profile's DevToolsActivePort file: no port race), opens one page and drives
it over the page's DevTools WebSocket (python3-websocket): navigate, wait
for a condition (always bounded), type, click with real mouse events, read
text, evaluate JavaScript, save PNG screenshots.

Everything that goes wrong in the page is collected while it runs: console
errors, uncaught exceptions, requests that failed or answered >= 400 (see
Browser.problems); a test calls check_clean() to fail on them.

Chromium is started in a process group of its own, dies with the process
that started it (PR_SET_PDEATHSIG), and close() stops it by its pid
(SIGTERM, then SIGKILL to its own group after a bound) and removes its
profile directory; Browser is a context manager so that happens on failure
too.
"""
import base64
import ctypes
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import websocket  # python3-websocket (websocket-client)

START_S = 60   # Chromium start to DevTools answering (bounds, not claims)
CALL_S = 30    # one DevTools call
WAIT_S = 30    # default bound of wait_for


# Requests to 127.0.0.1 never go through a proxy $http_proxy names.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class CdpError(Exception):
    """A DevTools call failed, a wait ran out, or the page misbehaved."""


def _pdeathsig():
    # Runs in the child before exec: die with the parent, whatever ends it.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def find_chromium():
    """$CHROMIUM, else chromium (Debian's package) on $PATH."""
    for c in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if c and shutil.which(c):
            return shutil.which(c)
    raise CdpError("no chromium on $PATH (apt-get install chromium; "
                   "or set $CHROMIUM)")


class Browser:
    """One headless Chromium with one page. Not thread-safe."""

    def __init__(self, shots_dir, width=1280, height=900, log=None):
        self.shots_dir = shots_dir
        self.log = log or (lambda m: print(m, flush=True))
        self.problems = []       # strings: what went wrong in the page
        self.ignored_urls = ()  # substrings of URLs whose failures are not
                                # the page's (none so far)
        self._next_id = 0
        self._timeouts = 0
        self._events = []
        self._requests = {}      # requestId -> url (for loadingFailed)
        self.proc = None
        self.ws = None
        os.makedirs(shots_dir, exist_ok=True)
        self.profile = tempfile.mkdtemp(prefix="slot-chromium-")
        try:
            self._start(width, height)
        except BaseException:
            self.close()
            raise

    # ---- process ---------------------------------------------------------

    def _start(self, width, height):
        exe = find_chromium()
        args = [exe, "--headless=new", "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0", "--user-data-dir=" + self.profile,
                "--no-first-run", "--no-default-browser-check",
                "--disable-gpu", "--disable-extensions", "--disable-sync",
                "--disable-background-networking", "--disable-component-update",
                "--disable-default-apps", "--disable-dev-shm-usage",
                "--metrics-recording-only", "--mute-audio", "--no-pings",
                "--disable-domain-reliability",
                "--disable-client-side-phishing-detection",
                # Tests talk to 127.0.0.1 only: no other name resolves.
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                "--no-proxy-server",
                "--password-store=basic", "--use-mock-keychain",
                "--window-size=%d,%d" % (width, height), "about:blank"]
        # Chromium refuses to run as root with its sandbox on.
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        self.chromium_log = os.path.join(self.shots_dir, "chromium.log")
        logf = open(self.chromium_log, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=logf,
                                     start_new_session=True,
                                     preexec_fn=_pdeathsig)
        logf.close()
        self.log("chromium pid %d, profile %s" % (self.proc.pid, self.profile))
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        until = time.monotonic() + START_S
        port = None
        while port is None:
            if self.proc.poll() is not None:
                raise CdpError("chromium exited with %s at start (see %s)"
                               % (self.proc.returncode, self.chromium_log))
            if time.monotonic() > until:
                raise CdpError("chromium wrote no DevToolsActivePort in %d s "
                               "(see %s)" % (START_S, self.chromium_log))
            try:
                with open(port_file) as f:
                    first = f.readline().strip()
                if first.isdigit():
                    port = int(first)
            except OSError:
                pass
            if port is None:
                time.sleep(0.1)
        self.devtools = "http://127.0.0.1:%d" % port
        self.version = self._http("GET", "/json/version")
        self.log("DevTools on %s: %s" % (self.devtools,
                                         self.version.get("Browser")))
        pages = [t for t in self._http("GET", "/json/list")
                 if t.get("type") == "page"]
        target = pages[0] if pages else self._http("PUT", "/json/new?about:blank")
        self.ws = websocket.create_connection(
            target["webSocketDebuggerUrl"], timeout=CALL_S,
            suppress_origin=True, enable_multithread=False)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1,
                   "mobile": False})

    def _http(self, method, path):
        req = urllib.request.Request(self.devtools + path, method=method)
        with NO_PROXY.open(req, timeout=CALL_S) as r:
            return json.loads(r.read().decode())

    def close(self):
        """Stops Chromium by its pid (SIGTERM, up to 10 s, then SIGKILL to
        the process group it leads), removes the profile. Idempotent."""
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:
                pass
            self.ws = None
        if self.proc is not None and self.proc.returncode is None:
            try:
                self.proc.terminate()
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            # Its helpers (zygote, renderer, GPU) share its group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.log("chromium pid %d did not end" % self.proc.pid)
        if self.profile is not None:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---- protocol --------------------------------------------------------

    def call(self, method, params=None, timeout=CALL_S):
        """One DevTools command; returns its result (events that arrive
        meanwhile are noted). Raises CdpError on an error answer."""
        self._next_id += 1
        mid = self._next_id
        self.ws.send(json.dumps({"id": mid, "method": method,
                                 "params": params or {}}))
        until = time.monotonic() + timeout
        while True:
            left = until - time.monotonic()
            if left <= 0:
                raise CdpError("%s: no answer in %d s" % (method, timeout))
            self.ws.settimeout(left)
            try:
                msg = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            if msg.get("id") == mid:
                if "error" in msg:
                    raise CdpError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self._event(msg["method"], msg.get("params", {}))

    def pump(self):
        """Reads the events already sent (a no-op round trip)."""
        self.call("Runtime.evaluate", {"expression": "0"})

    def _ignored(self, url):
        return any(u in (url or "") for u in self.ignored_urls)

    def _event(self, method, p):
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error",
                                                                      "assert"):
            text = " ".join(str(a.get("value", a.get("description", "")))
                            for a in p.get("args", []))
            self.problems.append("console.%s: %s" % (p["type"], text))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            ex = d.get("exception", {})
            self.problems.append("uncaught exception: %s %s" % (
                d.get("text", ""), ex.get("description", "")))
        elif method == "Log.entryAdded":
            e = p.get("entry", {})
            if e.get("level") == "error" and not self._ignored(e.get("url")):
                self.problems.append("log error (%s): %s %s" % (
                    e.get("source"), e.get("text"), e.get("url", "")))
        elif method == "Network.requestWillBeSent":
            self._requests[p.get("requestId")] = p.get("request", {}).get("url")
        elif method == "Network.responseReceived":
            r = p.get("response", {})
            if r.get("status", 0) >= 400 and not self._ignored(r.get("url")):
                self.problems.append("HTTP %s from %s" % (r.get("status"),
                                                          r.get("url")))
        elif method == "Network.loadingFailed":
            url = self._requests.get(p.get("requestId"), "?")
            # A stream the page aborts itself (the event feed when it
            # reconnects or the page goes) is not a failure.
            if not p.get("canceled") and not self._ignored(url):
                self.problems.append("request failed: %s %s" % (
                    p.get("errorText"), url))
        self._events.append(method)

    # ---- page ------------------------------------------------------------

    def slow_network(self, latency_ms):
        """Every request the page starts from now on answers latency_ms
        later (a slow operator's link); 0 restores the network."""
        self.call("Network.emulateNetworkConditions", {
            "offline": False, "latency": latency_ms,
            "downloadThroughput": -1, "uploadThroughput": -1})

    def navigate(self, url, timeout=WAIT_S):
        r = self.call("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise CdpError("navigate %s: %s" % (url, r["errorText"]))
        self.wait_for("document.readyState === 'complete'",
                      "page %s loaded" % url, timeout)

    def eval(self, expr, await_promise=False):
        """Evaluates expr in the page; returns its value (JSON-able)."""
        r = self.call("Runtime.evaluate", {
            "expression": expr, "returnByValue": True,
            "awaitPromise": await_promise, "userGesture": True})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise CdpError("evaluate %r: %s %s" % (
                expr[:200], d.get("text"),
                d.get("exception", {}).get("description", "")))
        return r.get("result", {}).get("value")

    def wait_for(self, expr, what, timeout=WAIT_S, poll_s=0.1):
        """Polls expr (JavaScript) until it is truthy, at most timeout
        seconds; returns its value. On timeout raises CdpError naming
        what was awaited (and saves a screenshot of the page as it is)."""
        until = time.monotonic() + timeout
        while True:
            v = self.eval(expr)
            if v:
                return v
            if time.monotonic() > until:
                self._timeouts += 1
                shot = self.screenshot("timeout-%d" % self._timeouts)
                raise CdpError("waited %d s for %s (page: %s)" % (
                    timeout, what, shot))
            time.sleep(poll_s)

    def wait_selector(self, sel, timeout=WAIT_S, visible=True):
        """Waits until sel matches an element (a visible one: laid out,
        not inside a hidden ancestor)."""
        cond = "e !== null" + (" && e.getClientRects().length > 0"
                               if visible else "")
        self.wait_for("(() => { const e = document.querySelector(%s); "
                      "return %s; })()" % (json.dumps(sel), cond),
                      "selector %s%s" % (sel, " visible" if visible else ""),
                      timeout)

    def _box_center(self, sel):
        r = self.eval("""(() => {
            const e = document.querySelector(%s);
            if (e === null) return null;
            e.scrollIntoView({block: 'center', inline: 'center'});
            const b = e.getBoundingClientRect();
            if (b.width === 0 || b.height === 0) return {hidden: true};
            const x = b.left + b.width / 2, y = b.top + b.height / 2;
            const hit = document.elementFromPoint(x, y);
            return {x, y, hit: hit !== null && (hit === e || e.contains(hit))};
        })()""" % json.dumps(sel))
        if r is None:
            raise CdpError("no element %s" % sel)
        if r.get("hidden"):
            raise CdpError("element %s is not visible" % sel)
        if not r["hit"]:
            raise CdpError("element %s is covered by another" % sel)
        return r["x"], r["y"]

    def click(self, sel):
        """A real left click (mouse events) in the middle of sel, which
        must be visible and not covered."""
        self.wait_selector(sel)
        x, y = self._box_center(sel)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {
                "type": kind, "x": x, "y": y, "button": "left",
                "clickCount": 0 if kind == "mouseMoved" else 1})

    def type(self, sel, text, clear=True):
        """Focuses sel (clicking it), clears it, and types text as input
        events (Input.insertText)."""
        self.click(sel)
        if clear:
            self.eval("(() => { const e = document.querySelector(%s); "
                      "e.select && e.select(); })()" % json.dumps(sel))
            self.call("Input.dispatchKeyEvent", {"type": "keyDown",
                                                 "key": "Delete",
                                                 "code": "Delete",
                                                 "windowsVirtualKeyCode": 46})
            self.call("Input.dispatchKeyEvent", {"type": "keyUp",
                                                 "key": "Delete",
                                                 "code": "Delete",
                                                 "windowsVirtualKeyCode": 46})
        self.call("Input.insertText", {"text": text})
        got = self.eval("document.querySelector(%s).value" % json.dumps(sel))
        if got != text:
            raise CdpError("typed %r into %s, it holds %r" % (text, sel, got))

    def text(self, sel):
        """textContent of sel (None if nothing matches)."""
        return self.eval("(() => { const e = document.querySelector(%s); "
                         "return e === null ? null : e.textContent; })()"
                         % json.dumps(sel))

    def screenshot(self, name):
        """Saves the whole page as NAME.png in shots_dir; returns the
        path."""
        m = self.call("Page.getLayoutMetrics")
        size = m.get("cssContentSize") or m.get("contentSize")
        w = max(1, min(int(size["width"]), 4000))
        h = max(1, min(int(size["height"]), 8000))
        r = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}})
        data = base64.b64decode(r["data"])
        if data[:8] != b"\x89PNG\r\n\x1a\n":
            raise CdpError("screenshot %s is not a PNG" % name)
        path = os.path.join(self.shots_dir, name + ".png")
        with open(path, "wb") as f:
            f.write(data)
        self.log("screenshot %s (%d bytes)" % (path, len(data)))
        return path

    def check_clean(self, since=0):
        """Raises CdpError if the page logged an error, threw, or a
        request failed (problems[since:]: since an earlier count)."""
        self.pump()
        if self.problems[since:]:
            raise CdpError("the page had problems:\n  " +
                           "\n  ".join(self.problems[since:]))
