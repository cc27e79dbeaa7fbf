"""A real browser on the directory listing: headless Chromium (driven by
Debian's python3-selenium and chromium-driver, run with /usr/bin/python3)
loads the listing of a directory of hostile names, checks that every entry
is in the DOM as text and that no name became markup or ran script, then
clicks through to files and a subdirectory and back up.

Skipped (lib.Skip, "chromium not installed") only where Chromium is
absent; with Chromium but without chromedriver or selenium it fails."""
import json
import os
import shutil
import subprocess

import featlib as fl
import lib

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, where python3-selenium lives

FILES = [
    "<img src=x onerror=window.__pwned=1>.txt",
    "<script>window.__pwned=2<\\script>.txt",
    "<svg onload=window.__pwned=3>.txt",
    "\"><img src=x onerror=document.title='PWNED'>.txt",
    "'><iframe src=javascript:window.__pwned=4>.txt",
    "javascript:window.__pwned=5",        # no extension: listed, not clicked (a download)
    "javascript:window.__pwned=6;x={}.txt",  # valid script if the colon stayed a scheme
    "&amp;&lt;b&gt;.txt",
    "with space.txt",
    "100%.txt",
    "%2e%2e%2fescape.txt",
    "hash#tag.txt",
    "q?mark.txt",
    "ünïcödé.txt",
    "日本語.txt",
    "a2.txt",
    "a10.txt",
]
SUBDIR = "<b>sub & dir<\\b> #?"
SUBFILE = "<i>inner</i>?.txt".replace("/", "\\")
CLICK = ["<img src=x onerror=window.__pwned=1>.txt", "hash#tag.txt", "q?mark.txt", "100%.txt",
         "日本語.txt", "\"><img src=x onerror=document.title='PWNED'>.txt",
         "%2e%2e%2fescape.txt", "javascript:window.__pwned=6;x={}.txt"]

DRIVER_SCRIPT = r'''
import json, sys, time
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

cfg = json.load(sys.stdin)
opts = Options()
opts.binary_location = cfg["chromium"]
for a in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--window-size=1200,900",
          "--user-data-dir=" + cfg["profile"]):
    opts.add_argument(a)
drv = webdriver.Chrome(service=Service(executable_path=cfg["driver"]), options=opts)
STATE = """
return {
  url: location.href, title: document.title,
  pwned: (window.__pwned === undefined) ? null : String(window.__pwned),
  tags: Array.from(document.querySelectorAll('img,script,svg,iframe,object,embed,b,i'))
             .map(e => e.tagName),
  links: Array.from(document.querySelectorAll('a'))
              .map(a => [a.textContent, a.getAttribute('href'), a.href]),
  pre: document.querySelector('pre') ? document.querySelector('pre').textContent : null,
  h1: document.querySelector('h1') ? document.querySelector('h1').textContent : null,
};
"""
FIND = "return Array.from(document.querySelectorAll('a')).find(a => a.textContent === arguments[0]) || null"

def loaded(d):
    return d.execute_script("return document.readyState") == "complete"

def click(text):
    before = drv.current_url
    el = drv.execute_script(FIND, text)
    if el is None:
        return {"error": "no link with text " + repr(text)}
    el.click()
    WebDriverWait(drv, 15).until(lambda d: d.current_url != before and loaded(d))
    return drv.execute_script(STATE)

out = {"clicks": []}
try:
    drv.set_page_load_timeout(30)
    drv.get(cfg["url"])
    WebDriverWait(drv, 15).until(loaded)
    time.sleep(0.3)  # let any (unwanted) handler run
    out["listing"] = drv.execute_script(STATE)
    drv.save_screenshot(cfg["screenshot"])
    for name in cfg["click"]:
        drv.get(cfg["url"])
        WebDriverWait(drv, 15).until(loaded)
        print("clicking", repr(name), file=sys.stderr, flush=True)  # for a timeout's report
        r = click(name)
        r["name"] = name
        out["clicks"].append(r)
    drv.get(cfg["url"])
    WebDriverWait(drv, 15).until(loaded)
    out["subdir"] = click(cfg["subdir"] + "/")
    time.sleep(0.3)
    out["subdir"]["pwned_after"] = drv.execute_script("return window.__pwned === undefined ? null : String(window.__pwned)")
    out["subfile"] = click(cfg["subfile"])
    drv.back()
    WebDriverWait(drv, 15).until(loaded)
    out["parent"] = click("../")
finally:
    drv.quit()
print(json.dumps(out))
'''


def content(name):
    return f"file body of {name}\nsecond line ✓\n"


def entry_links(links):
    """The links to entries ("./name", "../"); the breadcrumbs ("/...") and
    the column headings ("?sort=...") are the page's own."""
    return [x for x in links if x[1] == "../" or (x[1] or "").startswith("./")]


def test_browser_listing_hostile_names():
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

    root = lib.tempdir()
    for n in FILES:
        fl.write(os.path.join(root, n), content(n).encode())
    fl.write(os.path.join(root, SUBDIR, SUBFILE), content(SUBFILE).encode())
    work = lib.tempdir()
    script = os.path.join(work, "drive.py")
    with open(script, "w") as f:
        f.write(DRIVER_SCRIPT)
    shot = os.path.join(work, "listing.png")

    with lib.Server(root=root, args=["-l"]) as s:
        base = f"http://127.0.0.1:{s.port}/"
        cfg = {"chromium": chromium, "driver": driver, "profile": os.path.join(work, "profile"),
               "url": base, "click": CLICK, "subdir": SUBDIR, "subfile": SUBFILE,
               "screenshot": shot}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["HOME"] = work  # chromium and selenium write only under the test's folder
        try:
            p = subprocess.run([SYSTEM_PYTHON, script], input=json.dumps(cfg), capture_output=True,
                               text=True, timeout=180, env=env, cwd=work)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"browser run timed out: {e.stderr!r}")
        assert p.returncode == 0, f"browser driver failed:\n{p.stderr[-3000:]}"
        out = json.loads(p.stdout.strip().splitlines()[-1])

    lst = out["listing"]
    assert lst["pwned"] is None, f"script from a file name ran: window.__pwned={lst['pwned']}"
    assert lst["title"] == "Index of /", lst["title"]
    assert lst["tags"] == [], f"names became elements: {lst['tags']}"
    texts = [t for t, _, _ in entry_links(lst["links"])]
    assert sorted(texts) == sorted(FILES + [SUBDIR + "/"]), texts
    assert texts[0] == SUBDIR + "/", "directory not first"
    assert texts.index("a2.txt") < texts.index("a10.txt"), texts
    for text, href, absolute in entry_links(lst["links"]):
        assert absolute.startswith(base), (text, href, absolute)
        assert "#" not in absolute and "?" not in absolute, (text, absolute)
    # The page's own links: the crumb to "/" and the three column headings,
    # all on this server.
    own = [(t, h) for t, h, _ in lst["links"] if not (h == "../" or h.startswith("./"))]
    assert own == [("/", "/"), ("Name", "?sort=name&order=desc"), ("Size", "?sort=size&order=asc"),
                   ("Modified (UTC)", "?sort=time&order=asc")], own
    assert os.path.getsize(shot) > 1000
    if os.environ.get("BROWSER_SHOT"):  # keep the screenshot for a person to look at
        shutil.copyfile(shot, os.environ["BROWSER_SHOT"])

    for c in out["clicks"]:
        assert "error" not in c, c
        assert c["url"].startswith(base), c
        assert c["pwned"] is None and c["title"] != "PWNED", c
        assert c["pre"] == content(c["name"]), (c["name"], c["url"], c["pre"])
    sub = out["subdir"]
    assert "error" not in sub, sub
    assert sub["pwned_after"] is None and sub["tags"] == [], sub
    assert sub["h1"] == f"Index of /{SUBDIR}/", sub["h1"]
    assert [t for t, _, _ in entry_links(sub["links"])] == ["../", SUBFILE], sub["links"]
    assert out["subfile"]["pre"] == content(SUBFILE), out["subfile"]
    assert out["parent"]["url"] == base, out["parent"]
    assert out["parent"]["title"] == "Index of /"
