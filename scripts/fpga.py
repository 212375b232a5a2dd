#!/usr/bin/env python3
"""Build the board configuration of kmt_device for the iCE40 boards and report its size and speed.

  scripts/fpga.py [up5k|hx8k|all] [--out DIR] [--seed N] [--jobs N] [--set PARAM=VALUE ...]

For each part: yosys (synth_ice40) -> nextpnr-ice40 -> icepack -> icetime, on rtl/board/kmt_board_top.sv
(rtl/kmt_device.f + rtl/board/kmt_board.f) with the part's pins (rtl/board/<part>.pcf). Writes, under DIR
(default: build/fpga), <part>/kmt_board_top.{json,asc,bin} and the tool logs, and report.txt / report.json
with one row per part: LUT4, DFF, logic cells, block RAMs, SPRAMs, DSP blocks, the device's clock (the 12 MHz
oscillator divided by the board top's ClkDiv: 6 MHz on the UP5K), nextpnr's Fmax, icetime's estimate and the
bitstream size. Exit status 1 if a part does not fit (nextpnr fails or no bitstream) or cannot run at its clock
(Fmax below it); timing above that is reported, not enforced.
"""
import argparse
import concurrent.futures
import json
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOARD_MHZ = 12.0

# Part: nextpnr device and package, icetime device, the board top's parameters, synth_ice40 options.
PARTS = {
    "up5k": {
        "board": "iCEBreaker (iCE40UP5K-SG48)",
        "nextpnr": ["--up5k", "--package", "sg48"],
        "icetime": ["-d", "up5k", "-P", "sg48"],
        "lc_total": 5280, "ebr_total": 30, "spram_total": 4, "dsp_total": 8,
        # VRAM: the four SPRAMs, 16 K lines of 8 bytes (128 KiB). LEDR_N and LEDG_N light on low.
        # The 32-bit counters and the timebase's low half in the eight DSP blocks, the held
        # register words in block RAM; the device at half the oscillator (Fmax is about 10.5 MHz).
        "params": {"VramAw": 14, "LedActiveLow": 5, "Ice40Dsp": 1, "HeldBram": 1, "ClkDiv": 2},
        "synth": ["-spram", "-dff"],
    },
    "hx8k": {
        "board": "iCE40-HX8K breakout (iCE40HX8K-CT256)",
        "nextpnr": ["--hx8k", "--package", "ct256"],
        "icetime": ["-d", "hx8k", "-P", "ct256"],
        "lc_total": 7680, "ebr_total": 32, "spram_total": 0, "dsp_total": 0,
        # VRAM: 8 block RAMs, 512 lines of 8 bytes (4 KiB), repeated over the preset's 128 KiB
        # (the device's own RAMs take 21 of the other 24).
        "params": {"VramAw": 9, "LedActiveLow": 0},
        "synth": ["-dff"],
    },
}


def sources():
    files = []
    for lst in ("rtl/kmt_device.f", "rtl/board/kmt_board.f"):
        for line in (ROOT / lst).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("//"):
                files.append(str(ROOT / line))
    return files


def run(cmd, log, cwd):
    t0 = time.monotonic()
    with open(log, "w") as f:
        rc = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT).returncode
    return rc, time.monotonic() - t0


def build(part, out, seed, overrides):
    cfg = PARTS[part]
    d = out / part
    d.mkdir(parents=True, exist_ok=True)
    for old in ("kmt_board_top.json", "kmt_board_top.asc", "kmt_board_top.bin"):
        (d / old).unlink(missing_ok=True)
    r = {"part": part, "board": cfg["board"], "fits": False, "lc_total": cfg["lc_total"],
         "lut4_total": cfg["lc_total"], "ebr_total": cfg["ebr_total"], "spram_total": cfg["spram_total"],
         "dsp_total": cfg["dsp_total"],
         "seconds": {}}
    params = {**cfg["params"], **overrides}
    r["params"] = params
    if params.get("ClkDiv", 1) not in (1, 2):
        r["error"] = "ClkDiv must be 1 or 2"
        return r
    r["clock_mhz"] = BOARD_MHZ / params.get("ClkDiv", 1)
    chparam = " ".join(f"-set {k} {v}" for k, v in params.items())
    script = (f"read_verilog -sv -noassert -noassume -I{ROOT} {' '.join(sources())}; chparam {chparam} kmt_board_top; "
              f"synth_ice40 {' '.join(cfg['synth'])} -top kmt_board_top -json kmt_board_top.json; "
              f"tee -o stat.txt stat")
    rc, r["seconds"]["yosys"] = run(["yosys", "-q", "-l", "yosys.log", "-p", script], d / "yosys.out", d)
    if rc != 0:
        r["error"] = "yosys failed (yosys.log)"
        return r
    stat = (d / "stat.txt").read_text()
    cells = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s+(SB_\w+)\s+(\d+)$", stat, re.M)}
    r["lut4"] = cells.get("SB_LUT4", 0)
    r["dff"] = sum(v for k, v in cells.items() if k.startswith("SB_DFF"))
    r["carry"] = cells.get("SB_CARRY", 0)

    pcf = ROOT / "rtl/board" / f"{part}.pcf"
    rc, r["seconds"]["nextpnr"] = run(
        ["nextpnr-ice40", *cfg["nextpnr"], "--json", "kmt_board_top.json", "--pcf", str(pcf),
         "--freq", str(r["clock_mhz"]), "--timing-allow-fail", "--seed", str(seed), "--asc", "kmt_board_top.asc",
         "-l", "nextpnr.log", "-q"], d / "nextpnr.out", d)
    log = (d / "nextpnr.log").read_text() if (d / "nextpnr.log").exists() else ""
    for kind, key in (("ICESTORM_LC", "lc"), ("ICESTORM_RAM", "ebr"), ("ICESTORM_SPRAM", "spram"),
                      ("ICESTORM_DSP", "dsp")):
        m = re.findall(rf"{kind}:\s+(\d+)/\s*(\d+)", log)
        if m:
            r[key] = int(m[-1][0])
    r.setdefault("ebr", 0)
    r.setdefault("spram", 0)
    r.setdefault("dsp", 0)
    # nextpnr's last report per clock (after routing). With ClkDiv the oscillator's own domain is only
    # the divider's flop: the device's clock is the slowest.
    fmax = {}
    for clk, mhz in re.findall(r"Max frequency for clock\s+'([^']*)':\s+([\d.]+) MHz", log):
        fmax[clk] = float(mhz)
    if fmax:
        r["fmax_by_clock_mhz"] = fmax
        r["fmax_mhz"] = min(fmax.values())
    if rc != 0 or not (d / "kmt_board_top.asc").exists():
        err = [l for l in log.splitlines() if "ERROR" in l]
        r["error"] = err[-1].strip() if err else "nextpnr failed (nextpnr.log)"
        return r

    rc, r["seconds"]["icepack"] = run(["icepack", "kmt_board_top.asc", "kmt_board_top.bin"], d / "icepack.out", d)
    if rc != 0:
        r["error"] = "icepack failed"
        return r
    r["bitstream_bytes"] = (d / "kmt_board_top.bin").stat().st_size
    r["fits"] = True

    rc, r["seconds"]["icetime"] = run(
        ["icetime", *cfg["icetime"], "-p", str(pcf), "-t", "-r", "icetime.txt", "kmt_board_top.asc"],
        d / "icetime.out", d)
    if rc == 0 and (d / "icetime.txt").exists():
        m = re.search(r"Total path delay:\s+([\d.]+) ns \(([\d.]+) MHz\)", (d / "icetime.txt").read_text())
        if m:
            r["icetime_ns"] = float(m.group(1))
            r["icetime_mhz"] = float(m.group(2))
    return r


def table(rows):
    head = ["part", "LUT4", "DFF", "LCs", "EBR", "SPRAM", "DSP", "clock", "Fmax (nextpnr)", "icetime", "bitstream",
            "fits"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        def num(k, total=None):
            if k not in r:
                return "-"
            return f"{r[k]}/{total}" if total is not None else str(r[k])
        lines.append("| " + " | ".join([
            r["part"], num("lut4"), num("dff"), num("lc", r["lc_total"]), num("ebr", r["ebr_total"]),
            num("spram", r["spram_total"]), num("dsp", r["dsp_total"]),
            f"{r['clock_mhz']:g} MHz" if "clock_mhz" in r else "-",
            f"{r['fmax_mhz']:.2f} MHz" if "fmax_mhz" in r else "-",
            f"{r['icetime_mhz']:.2f} MHz" if "icetime_mhz" in r else "-",
            f"{r['bitstream_bytes']} B" if "bitstream_bytes" in r else "-",
            "yes" if r["fits"] else "NO: " + r.get("error", "")]) + " |")
    times = ["  " + r["part"] + ": " + ", ".join(f"{k} {v:.1f} s" for k, v in r["seconds"].items()) for r in rows]
    return "\n".join(lines) + "\n\nTool times:\n" + "\n".join(times) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", nargs="?", default="all", choices=["up5k", "hx8k", "all"])
    ap.add_argument("--out", default=str(ROOT / "build/fpga"), help="output directory (default: build/fpga)")
    ap.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    ap.add_argument("--jobs", type=int, default=1, help="parts built at once (default 1)")
    ap.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE",
                    help="override a kmt_board_top parameter (NumRings, NumFences, McQueueDepth, ...)")
    a = ap.parse_args()
    overrides = {}
    for kv in a.set:
        k, sep, v = kv.partition("=")
        if not sep or not k.isidentifier() or not v.isdigit():
            sys.exit(f"fpga: --set wants PARAM=NUMBER, not '{kv}'")
        overrides[k] = int(v)
    for tool in ("yosys", "nextpnr-ice40", "icepack", "icetime"):
        if shutil.which(tool) is None:
            sys.exit(f"fpga: {tool} not found (apt-get install yosys nextpnr-ice40 fpga-icestorm)")
    out = pathlib.Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    parts = ["up5k", "hx8k"] if a.part == "all" else [a.part]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        rows = list(ex.map(lambda p: build(p, out, a.seed, overrides), parts))
    text = table(rows)
    (out / "report.txt").write_text(text)
    (out / "report.json").write_text(json.dumps(rows, indent=2) + "\n")
    sys.stdout.write(text)
    sys.stdout.write(f"\nreport: {out / 'report.txt'}, {out / 'report.json'}\n")
    bad = [r["part"] for r in rows if not r["fits"]]
    slow = [r["part"] for r in rows if r["fits"] and r.get("fmax_mhz", 0.0) < r["clock_mhz"]]
    if bad:
        print("fpga: does not fit: " + ", ".join(bad), file=sys.stderr)
    if slow:
        print("fpga: Fmax below the device's clock: " + ", ".join(slow), file=sys.stderr)
    return 1 if bad or slow else 0


if __name__ == "__main__":
    sys.exit(main())
