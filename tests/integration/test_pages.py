"""The built-in pages in a real browser: headless Chromium (Debian's
chromium, chromium-driver and python3-selenium, run with /usr/bin/python3)
loads a directory listing of hostile names, a listing whose breadcrumbs
hold markup, a 404 and the local 403 hint, at desktop (1280x800) and phone
(390x844) sizes, in light and dark (prefers-color-scheme emulated through
the DevTools protocol). Each page must render inside the window (no
horizontal overflow), log nothing to the console, run no script from a
name, change colours with the scheme with readable contrast, and give a
screenshot of the window's size that is more than a blank. Clicking the
Size heading re-sorts the rows without JavaScript.

Skipped (lib.Skip, "chromium not installed") only where Chromium is
absent; with Chromium but without chromedriver or selenium it fails.
BROWSER_SHOTS=DIR keeps the screenshots for a person to look at."""
import json
import os
import shutil
import struct
import subprocess

import featlib as fl
import lib

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, where python3-selenium lives

SIZES = [
    {"name": "desktop", "w": 1280, "h": 800, "mobile": False},
    {"name": "phone", "w": 390, "h": 844, "mobile": True},
]
SCHEMES = ["light", "dark"]

# Distinct sizes, so the order by size is known; names that would run
# script if they became markup, and long ones that must wrap on a phone.
FILES = {
    "<img src=x onerror=alert(1)>.txt": 1200,
    "<script>alert(1)<\\script>.txt": 45,
    "<img src=x onerror=window.__pwned=1>.png": 3100,
    "\"><svg onload=alert(1)>.txt": 7,
    "'><iframe src=javascript:alert(1)>.txt": 650,
    "javascript:alert(1)": 99,
    "README.md": 2048,
    "photo-2024-06-01.jpg": 1_500_000,
    "a" * 120 + ".txt": 12,
    "very-long-name-without-any-spaces-" * 5 + "end.tar.gz": 80_000,
    "日本語のファイル名.txt": 333,
}
# A directory whose breadcrumbs read "<script>alert(1)</script>".
CRUMB_DIR = ["<script>alert(1)<", "script>"]
CRUMB_URL = "/%3Cscript%3Ealert(1)%3C/script%3E/"

DRIVER_SCRIPT = r'''
import base64, json, sys, time
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, UnexpectedAlertPresentException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

cfg = json.load(sys.stdin)
opts = Options()
opts.binary_location = cfg["chromium"]
for a in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--disable-extensions", "--hide-scrollbars",
          "--force-color-profile=srgb", "--user-data-dir=" + cfg["profile"]):
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
opts.unhandled_prompt_behavior = "ignore"  # an alert stays open to be seen
drv = webdriver.Chrome(service=Service(executable_path=cfg["driver"]), options=opts)

STATE = """
const cs = e => e ? getComputedStyle(e) : null;
const body = document.body;
const over = [];
for (const e of document.querySelectorAll('body *')) {
  const r = e.getBoundingClientRect();
  if (r.width > 0 && (r.right > innerWidth + 1 || r.left < -1))
    over.push(e.tagName + '.' + e.className + ' ' + Math.round(r.left) + '..' +
              Math.round(r.right) + ' ' + (e.textContent || '').slice(0, 40));
}
const th = c => document.querySelector('th.' + c);
const entries = Array.from(document.querySelectorAll('tbody a'))
  .filter(a => a.getAttribute('href') !== '../').map(a => a.textContent);
const link = document.querySelector('tbody a') || document.querySelector('a');
const time = document.querySelector('td.time time');
const code = document.querySelector('p');
return {
  url: location.href, title: document.title,
  h1: document.querySelector('h1') ? document.querySelector('h1').textContent : null,
  text: body.innerText,
  inner: [innerWidth, innerHeight],
  scroll: Math.max(document.documentElement.scrollWidth, body.scrollWidth),
  over: over.slice(0, 8),
  dark: matchMedia('(prefers-color-scheme: dark)').matches,
  bg: cs(body).backgroundColor, fg: cs(body).color,
  link: link ? cs(link).color : null,
  mute: time ? cs(time).color : (code ? cs(code).color : null),
  th: th('size') ? {size: th('size').offsetWidth, time: th('time').offsetWidth,
                    time_shown: cs(th('time')).display !== 'none',
                    aria: Array.from(document.querySelectorAll('th[aria-sort]'))
                            .map(e => e.className + ':' + e.getAttribute('aria-sort'))} : null,
  entries: entries,
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  tags: Array.from(document.querySelectorAll('img,script,svg,iframe,object,embed'))
          .map(e => e.tagName),
};
"""

PIXELS = """
const done = arguments[arguments.length - 1];
const img = new Image();
img.onload = () => {
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  const counts = new Map();
  let lum = 0;
  for (let i = 0; i < d.length; i += 4) {
    const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    counts.set(k, (counts.get(k) || 0) + 1);
    lum += 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
  }
  let top = 0, topn = 0;
  for (const [k, n] of counts) if (n > topn) { top = k; topn = n; }
  const n = d.length / 4;
  done({w: c.width, h: c.height, mean: lum / n, colors: counts.size,
        dominant: [top >> 16, (top >> 8) & 255, top & 255], other: 1 - topn / n});
};
img.onerror = () => done({error: 'not an image'});
img.src = 'data:image/png;base64,' + arguments[0];
"""

alerts = []  # the text of every alert seen, in order

def dismiss():
    try:
        a = drv.switch_to.alert
        alerts.append(a.text)
        a.accept()
    except NoAlertPresentException:
        pass

def guarded(fn, *args):
    """fn(*args); an alert that gets in the way is recorded and closed."""
    for _ in range(10):
        try:
            return fn(*args)
        except UnexpectedAlertPresentException as e:
            n = len(alerts)
            dismiss()
            if len(alerts) == n:  # closed already: keep what the error said
                alerts.append(e.alert_text or "?")
    raise RuntimeError("alerts keep coming: %r" % alerts)

def js(script, *args):
    return guarded(drv.execute_script, script, *args)

def load(url):
    del alerts[:]
    guarded(drv.get, url)
    WebDriverWait(drv, 15).until(lambda d: js("return document.readyState") == "complete")
    time.sleep(0.3)  # let any (unwanted) handler run
    dismiss()

def view(size, scheme):
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": size["w"], "height": size["h"], "deviceScaleFactor": 1,
                         "mobile": size["mobile"]})
    drv.execute_cdp_cmd("Emulation.setEmulatedMedia",
                        {"features": [{"name": "prefers-color-scheme", "value": scheme}]})

out = {"pages": [], "sort": {}}
try:
    drv.set_page_load_timeout(30)
    drv.get("about:blank")
    drv.get_log("browser")
    for size in cfg["sizes"]:
        for scheme in cfg["schemes"]:
            view(size, scheme)
            for page in cfg["pages"]:
                print("loading", page["name"], size["name"], scheme, file=sys.stderr, flush=True)
                load(page["url"])
                r = {"page": page["name"], "size": size["name"], "scheme": scheme}
                r.update(js(STATE))
                dismiss()
                r["alerts"] = list(alerts)
                r["log"] = drv.get_log("browser")
                shot = "%s/%s-%s-%s.png" % (cfg["shots"], page["name"], size["name"], scheme)
                drv.save_screenshot(shot)
                r["shot"] = shot
                out["pages"].append(r)

    # Sorting without JavaScript: click the Size heading, twice.
    if cfg.get("sort_url"):
        view(cfg["sizes"][0], "light")
        load(cfg["sort_url"])
        steps = [js(STATE)]
        for _ in range(2):
            before = drv.current_url
            guarded(drv.find_element("css selector", "th.size a").click)
            WebDriverWait(drv, 15).until(lambda d: d.current_url != before and
                                         js("return document.readyState") == "complete")
            time.sleep(0.3)
            dismiss()
            steps.append(js(STATE))
        out["sort"] = {"steps": steps, "log": drv.get_log("browser"), "alerts": list(alerts)}

    # What the screenshots hold, decoded by the browser on a blank page.
    load("about:blank")
    drv.set_script_timeout(30)
    for r in out["pages"]:
        with open(r["shot"], "rb") as f:
            b64 = base64.b64encode(f.read()).decode()
        r["pixels"] = drv.execute_async_script(PIXELS, b64)
finally:
    drv.quit()
print(json.dumps(out))
'''


def need_browser():
    """(chromium, chromedriver) paths; lib.Skip without Chromium, a failure
    when Chromium is there but the rest is not."""
    chromium = fl.chromium_path()
    if not chromium:
        raise lib.Skip("chromium not installed")
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    assert os.path.exists(driver), ("chromium is installed but chromedriver is not: "
                                    "apt-get install chromium-driver")
    assert os.path.exists(SYSTEM_PYTHON), f"{SYSTEM_PYTHON} missing (apt-get install python3)"
    chk = subprocess.run([SYSTEM_PYTHON, "-c", "import selenium"], capture_output=True)
    assert chk.returncode == 0, ("chromium is installed but selenium is not importable by "
                                 f"{SYSTEM_PYTHON}: apt-get install python3-selenium")
    return chromium, driver


def run_driver(cfg, work):
    """Runs DRIVER_SCRIPT with cfg; returns its JSON answer."""
    script = os.path.join(work, "drive.py")
    with open(script, "w") as f:
        f.write(DRIVER_SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["HOME"] = work  # chromium and selenium write only under the test's folder
    try:
        p = subprocess.run([SYSTEM_PYTHON, script], input=json.dumps(cfg), capture_output=True,
                           text=True, timeout=300, env=env, cwd=work)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"browser run timed out: {e.stderr!r}")
    assert p.returncode == 0, f"browser driver failed:\n{p.stderr[-3000:]}"
    return json.loads(p.stdout.strip().splitlines()[-1])


def png_size(path):
    """(width, height) from a PNG's IHDR chunk (asserts the signature)."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", (path, head)
    return struct.unpack(">II", head[16:24])


def rgb(css):
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 1)' -> (1, 2, 3)."""
    inside = css[css.index("(") + 1:css.index(")")]
    return tuple(int(float(x)) for x in inside.split(",")[:3])


def contrast(a, b):
    """WCAG 2 contrast ratio of two sRGB colours."""
    def lum(c):
        v = [x / 255 for x in c]
        v = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in v]
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def unexpected_logs(r, status):
    """Console messages but the network error of the page's own status."""
    bad = []
    for e in r["log"]:
        own = (status and e.get("source") == "network" and
               e["message"].startswith(r["url"] + " ") and f"status of {status}" in e["message"])
        if not own:
            bad.append(e)
    return bad


def site():
    root = lib.tempdir()
    for name, size in FILES.items():
        fill = name.encode() * (size // len(name.encode()) + 1)
        fl.write(os.path.join(root, name), fill[:size])
    fl.write(os.path.join(root, *CRUMB_DIR, "inside.txt"), b"inside\n")
    fl.write(os.path.join(root, "docs", "guide.html"), b"<p>guide</p>\n")
    return root


def test_pages_in_a_browser_at_two_sizes_light_and_dark():
    chromium, driver = need_browser()
    root = site()
    plain = lib.make_site({"folder/x.txt": b"x"})  # no -l: the 403 hint
    work = lib.tempdir()
    shots = os.path.join(work, "shots")
    os.makedirs(shots)
    with lib.Server(root=root, args=["-l"]) as s, lib.Server(root=plain) as s403:
        base = f"http://127.0.0.1:{s.port}"
        pages = [
            {"name": "listing", "url": base + "/", "status": None},
            {"name": "crumbs", "url": base + CRUMB_URL, "status": None},
            {"name": "404", "url": base + "/%3Cscript%3Ealert(1)%3C/script%3E.html",
             "status": 404},
            {"name": "403", "url": f"http://127.0.0.1:{s403.port}/folder/", "status": 403},
        ]
        cfg = {"chromium": chromium, "driver": driver, "profile": os.path.join(work, "profile"),
               "shots": shots, "sizes": SIZES, "schemes": SCHEMES, "pages": pages,
               "sort_url": base + "/"}
        out = run_driver(cfg, work)
    if os.environ.get("BROWSER_SHOTS"):  # for a person to look at
        os.makedirs(os.environ["BROWSER_SHOTS"], exist_ok=True)
        for f in os.listdir(shots):
            shutil.copyfile(os.path.join(shots, f), os.path.join(os.environ["BROWSER_SHOTS"], f))

    status = {p["name"]: p["status"] for p in pages}
    results = {(r["page"], r["size"], r["scheme"]): r for r in out["pages"]}
    assert len(results) == len(pages) * len(SIZES) * len(SCHEMES), sorted(results)
    for (page, size, scheme), r in results.items():
        what = f"{page} at {size}, {scheme}"
        w, h = next((x["w"], x["h"]) for x in SIZES if x["name"] == size)
        # It rendered, in the asked scheme, inside the window.
        assert r["inner"] == [w, h], (what, r["inner"])
        assert r["dark"] == (scheme == "dark"), what
        assert r["scroll"] <= w + 2, (what, "horizontal overflow", r["scroll"], r["over"])
        assert r["over"] == [], (what, "elements past the window's edge", r["over"])
        # No script ran from a name or a path.
        assert r["alerts"] == [], (what, "alert() ran", r["alerts"])
        assert r["pwned"] is None and r["tags"] == [], (what, r["pwned"], r["tags"])
        assert unexpected_logs(r, status[page]) == [], (what, r["log"])
        if page == "listing":
            assert r["title"] == "Index of /" and r["h1"] == "Index of /", (what, r["h1"])
            assert sorted(r["entries"]) == sorted([d + "/" for d in (CRUMB_DIR[0], "docs")]
                                                  + list(FILES)), (what, r["entries"])
        elif page == "crumbs":
            want = "Index of /<script>alert(1)</script>/"
            assert r["title"] == want and r["h1"] == want, (what, r["title"], r["h1"])
            assert r["entries"] == ["inside.txt"], (what, r["entries"])
        else:
            assert r["h1"].startswith(page + " "), (what, r["h1"])
        if page == "403":  # the hint for a local user
            assert "-l" in r["text"].split(), (what, r["text"])
        # The time column shows on a desktop, not on a phone.
        if r["th"]:
            assert r["th"]["time_shown"] == (size == "desktop"), (what, r["th"])
        # Readable: text, links and muted text against the background
        # (WCAG AA: 4.5:1).
        bg = rgb(r["bg"])
        for part in ("fg", "link", "mute"):
            if r[part]:
                ratio = contrast(rgb(r[part]), bg)
                assert ratio >= 4.5, (what, part, r[part], r["bg"], round(ratio, 2))
        # The screenshot: a PNG of the window's size, more than a blank page
        # of the background's colour.
        assert png_size(r["shot"]) == (w, h), (what, png_size(r["shot"]))
        size_bytes = os.path.getsize(r["shot"])
        # An error page is one line of text: its PNG is small, even when
        # right (about 5 KB on a phone); a listing is well above.
        floor = 5 * 1024 if page in ("listing", "crumbs") else 3 * 1024
        assert size_bytes > floor, (what, size_bytes)
        px = r["pixels"]
        assert "error" not in px and (px["w"], px["h"]) == (w, h), (what, px)
        assert tuple(px["dominant"]) == bg, (what, "mostly not the background", px, r["bg"])
        # Share of the pixels that are not the background (text, lines):
        # a full listing, a listing of one file, a line of text.
        min_other = {"listing": 0.02, "crumbs": 0.004, "404": 0.0005, "403": 0.001}[page]
        assert px["other"] > min_other and px["colors"] > 8, (what, "blank screenshot", px)

    # Light and dark differ, page by page and size by size.
    for page in status:
        for size in (x["name"] for x in SIZES):
            light, dark = results[page, size, "light"], results[page, size, "dark"]
            assert light["bg"] != dark["bg"], (page, size, light["bg"])
            assert light["fg"] != dark["fg"], (page, size, light["fg"])
            assert light["pixels"]["mean"] > dark["pixels"]["mean"] + 100, \
                (page, size, light["pixels"]["mean"], dark["pixels"]["mean"])
    # One stylesheet: the error pages have the listing's colours.
    for size in (x["name"] for x in SIZES):
        for scheme in SCHEMES:
            looks = {(results[p, size, scheme]["bg"], results[p, size, scheme]["fg"])
                     for p in status}
            assert len(looks) == 1, (size, scheme, looks)
    # Stable column widths: the same on two listings of different content,
    # in either scheme.
    for size in (x["name"] for x in SIZES):
        widths = {(results[p, size, sc]["th"]["size"], results[p, size, sc]["th"]["time"])
                  for p in ("listing", "crumbs") for sc in SCHEMES}
        assert len(widths) == 1, (size, widths)

    # Clicking "Size": ascending by size, then descending; directories
    # stay first; no script needed (the page's CSP allows none).
    steps = out["sort"]["steps"]
    dirs = [n for n in steps[0]["entries"] if n.endswith("/")]
    by_size = sorted(FILES, key=FILES.get)
    assert steps[1]["url"].endswith("/?sort=size&order=asc"), steps[1]["url"]
    assert steps[1]["entries"] == dirs + by_size, steps[1]["entries"]
    assert steps[1]["th"]["aria"] == ["size:ascending"], steps[1]["th"]
    assert steps[2]["url"].endswith("/?sort=size&order=desc"), steps[2]["url"]
    assert steps[2]["entries"] == dirs[::-1] + by_size[::-1], steps[2]["entries"]
    assert steps[2]["th"]["aria"] == ["size:descending"], steps[2]["th"]
    assert steps[0]["entries"] != steps[1]["entries"] != steps[2]["entries"]
    assert out["sort"]["log"] == [] and out["sort"]["alerts"] == [], out["sort"]
