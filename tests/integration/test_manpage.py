"""The man page docs/tern.1: it has an entry for every option --help
prints (and none for options that do not exist), renders without a groff
warning, and names the version --version prints."""
import os
import re
import shlex
import shutil
import subprocess

import lib

PAGE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "..", "..", "docs", "tern.1"))

# An option name standing alone: not part of a longer name ("--max-head"
# in "--max-headers") nor of a word ("-p" in "single-page").
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[A-Za-z])(?![\w-])")


def _page():
    with open(PAGE, encoding="utf-8") as f:
        return f.read()


def _plain(roff):
    """roff text with the escapes that split option names removed: font
    changes (\\fB, \\f(CR, \\f[I]), \\& and \\%, and \\- for a hyphen."""
    text = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", roff)
    text = text.replace("\\&", "").replace("\\%", "")
    return text.replace("\\-", "-")


def _help_options():
    """Every option name in the option column of --help: the text before
    the description, which starts after a run of two or more spaces."""
    r = lib.run_server(["--help"])
    assert r.returncode == 0, r
    opts = set()
    for line in r.stdout.splitlines():
        if not line.lstrip().startswith("-"):
            continue
        spec = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        opts.update(OPTION.findall(spec))
    # The parse found the options, not a fraction of them.
    assert {"-p", "--port", "-H", "--header", "--cors", "--compress", "--no-compress",
            "-V", "--version"} <= opts, sorted(opts)
    assert len(opts) >= 50, sorted(opts)
    return opts


def _section(roff, name):
    """The lines of section NAME (from its .SH to the next .SH)."""
    lines = roff.splitlines()
    starts = [i for i, l in enumerate(lines)
              if re.fullmatch(r'\.SH\s+"?%s"?\s*' % re.escape(name), l)]
    assert len(starts) == 1, f"{PAGE}: expected one .SH {name}, found {len(starts)}"
    out = []
    for l in lines[starts[0] + 1:]:
        if l.startswith(".SH"):
            break
        out.append(l)
    return out


def _present(opt, text):
    return re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text) is not None


def test_every_help_option_appears_in_the_page():
    text = _plain(_page())
    missing = sorted(o for o in _help_options() if not _present(o, text))
    assert not missing, f"options printed by --help but absent from {PAGE}: {missing}"


def test_every_help_option_has_an_entry_under_options():
    """Each option is the tag of a .TP paragraph in OPTIONS, and every tag
    there names options that --help prints."""
    lines = _section(_page(), "OPTIONS")
    tagged = set()
    for i, l in enumerate(lines):
        if l.startswith(".TP") and i + 1 < len(lines):
            tagged.update(OPTION.findall(_plain(lines[i + 1])))
    opts = _help_options()
    assert not sorted(opts - tagged), \
        f"options without their own entry in OPTIONS of {PAGE}: {sorted(opts - tagged)}"
    assert not sorted(tagged - opts), \
        f"entries in OPTIONS of {PAGE} for options --help does not print: {sorted(tagged - opts)}"


def test_page_renders_without_groff_warnings():
    groff = shutil.which("groff")
    assert groff, ("groff not found: groff-base is required to check docs/tern.1 "
                   "(apt-get install groff-base)")
    r = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", PAGE], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", (r.returncode, r.stderr)


def test_th_names_tern_section_1_and_the_version():
    page = _page()
    th = [l for l in page.splitlines() if l.startswith(".TH ")]
    assert len(th) == 1, th
    args = shlex.split(th[0][len(".TH "):])
    assert len(args) >= 4, th[0]
    assert args[0] == "TERN" and args[1] == "1", th[0]

    r = lib.run_server(["--version"])
    assert r.returncode == 0, r
    m = re.fullmatch(r"(\S+)/(\S+)", r.stdout.splitlines()[0])
    assert m and m.group(1) == "tern", r.stdout
    version = m.group(2)
    assert args[3] == f"tern {version}", (th[0], version)
    # Versions quoted elsewhere (example log lines) are the same one.
    quoted = set(re.findall(r"tern/(\d+(?:\.\d+)+)", _plain(page)))
    assert quoted <= {version}, (quoted, version)
