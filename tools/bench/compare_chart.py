#!/usr/bin/python3
"""The chart of `./rumpk bench compare`: DIR/table.json (tools/bench/compare_table.py)
drawn as DIR/compare.png: one panel per block test (2 by 2), one group of bars per transport
(Rumpk through ION, Rumpk in the kernel, U-Boot, Linux), the backend's limit (qemu-img bench)
as a dashed line across each group (written as a number when it is far off the bars' scale, as
null-co's is) and Rumpk/limit written over Rumpk's bar.

    /usr/bin/python3 tools/bench/compare_chart.py DIR [--out FILE.png]

matplotlib comes from Debian (python3-matplotlib, installed by ./rumpk setup), which is for
Debian's /usr/bin/python3: run this script with that interpreter, not another python3 on PATH.
"""
import argparse
import json
import os
import sys
import textwrap

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("compare_chart: matplotlib not found for %s (Debian package python3-matplotlib, "
             "for /usr/bin/python3)" % sys.executable)

OFF_SCALE = 3  # a limit more than this many times the highest bar is written, not drawn
SERIES = [("rumpk_ion", "Rumpk (user fiber, ION)", "#1f77b4"),
          ("rumpk_kernel", "Rumpk (in kernel)", "#9ecae1"),
          ("uboot", "U-Boot", "#ff7f0e"),
          ("linux", "Linux (fio)", "#2ca02c")]


def draw(table, out):
    run, rows = table["run"], table["rows"]
    tests = []
    for r in rows:
        if r["test"] not in [t for t, _ in tests]:
            tests.append((r["test"], r["name"]))
    transports = run["transports"]
    cols = 2 if len(tests) > 2 else len(tests)
    nrows = (len(tests) + cols - 1) // cols
    width_per = max(4.5, 1.6 * len(transports))
    fig, axes = plt.subplots(nrows, cols, figsize=(width_per * cols, 3.8 * nrows + 0.9),
                             squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax in flat[len(tests):]:
        ax.set_visible(False)
    series = [s for s in SERIES if any(r.get(s[0]) is not None for r in rows)]
    width = 0.8 / len(series)
    for ax, (test, name) in zip(flat, tests):
        by_t = {r["transport"]: r for r in rows if r["test"] == test}
        top = 0.0
        for i, (key, label, color) in enumerate(series):
            xs, hs = [], []
            for j, t in enumerate(transports):
                v = by_t.get(t, {}).get(key)
                if v is not None:
                    xs.append(j - 0.4 + width * (i + 0.5))
                    hs.append(v)
            top = max([top] + hs)
            ax.bar(xs, hs, width, label=label, color=color)
        bars_top = top
        for j, t in enumerate(transports):
            r = by_t.get(t, {})
            lim = r.get("limit")
            if lim and bars_top and lim > OFF_SCALE * bars_top:
                # null-co's limit is orders above any guest: say it instead of squashing the bars
                ax.annotate("limit %s\n(off scale)" % f"{lim:,.0f}", (j, bars_top * 1.12),
                            ha="center", va="top", fontsize=8)
            elif lim:
                top = max(top, lim)
                ax.hlines(lim, j - 0.45, j + 0.45, colors="black", linestyles="dashed",
                          label="qemu-img limit" if j == 0 else None)
            if r.get("ion_over_limit") is not None and r.get("rumpk_ion") is not None:
                ax.annotate("%.0f%%" % (r["ion_over_limit"] * 100),
                            (j - 0.4 + width * 0.5, r["rumpk_ion"]), ha="center",
                            va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
        ax.set_title(name, fontsize=10)
        ax.set_xticks(range(len(transports)))
        ax.set_xticklabels(transports, fontsize=9)
        ax.set_ylim(0, top * 1.22 if top else 1)
        ax.ticklabel_format(axis="y", style="plain")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.grid(axis="y", alpha=0.3)
    handles, labels = flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    back = "null-co" if run["backend"] == "null" else \
        "file, cache=%s, aio=%s" % (run["cache"], run["aio"])
    flags = "--fast (%s)" % ", ".join(run.get("fast_flags") or ["none"]) if run["fast"] \
        else "default QEMU flags"
    what = textwrap.fill("%s; %s; medians of %d; %% over Rumpk's bar = Rumpk/limit"
                         % (back, flags, run["reps"]), 150)  # long flag lists wrap, not clip
    fig.suptitle("Rumpk vs U-Boot, Linux and qemu-img bench\n" + what, fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 0.93 - 0.025 * what.count("\n")))
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="a results folder of ./rumpk bench compare")
    ap.add_argument("--out", help="default DIR/compare.png")
    a = ap.parse_args()
    path = os.path.join(a.dir, "table.json")
    if not os.path.exists(path):
        sys.exit("compare_chart: %s not found (compare_table.py writes it)" % path)
    with open(path) as f:
        table = json.load(f)
    out = a.out or os.path.join(a.dir, "compare.png")
    draw(table, out)
    print(out)


if __name__ == "__main__":
    main()
