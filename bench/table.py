"""bench/table.py LOG... — the one table of `make bench`: from the "result"
lines that bench/run.sh and bench/cifar.sh print (model, images/s of nnmc
and of PyTorch at its best thread setting, nnmc's fraction of the
machine's sgemm rate, the peak memory of each, the sgemm rate), a Markdown
table on standard output and bench/out/speed.svg: the ratio to PyTorch and
the fraction of sgemm as bars, one row per model.  Only the standard
library: it runs in any python3."""
import os, sys

rows = []
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 8 and p[0] == 'result':
                rows.append({'model': p[1], 'nnmc': int(p[2]), 'torch': int(p[3]), 'pct': int(p[4]),
                             'rss': int(p[5]), 'trss': int(p[6]), 'peak': int(p[7])})
if not rows:
    sys.exit('bench/table.py: no result lines in ' + ' '.join(sys.argv[1:]))


def ratio(r):
    return r['nnmc'] / r['torch'] if r['torch'] else 0.0


print('| model | nnmc images/s | PyTorch images/s | ratio | nnmc, % of sgemm | peak MiB nnmc | peak MiB PyTorch |')
print('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
for r in rows:
    t = f"{r['torch']:,}" if r['torch'] else '-'
    q = f'{ratio(r):.2f}x' if r['torch'] else '-'
    print(f"| {r['model']} | {r['nnmc']:,} | {t} | {q} | {r['pct']}% | {r['rss']:,} | {r['trss']:,} |")
print(f"\nsgemm (bench/sgemm_peak.c, all cores): {', '.join(sorted({str(r['peak']) for r in rows}))} GFLOP/s")

# the picture: two bar charts side by side, the ratio (a line at 1.0) and
# the fraction of sgemm (a line at 70%, issue 15's target)
W, ROW, LEFT, CH = 760, 30, 110, 280
H = 70 + ROW * len(rows)
xmax = max(2.0, max(ratio(r) for r in rows) * 1.1)


def esc(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{LEFT}" y="20" font-weight="bold">nnmc / PyTorch, images/s</text>',
       f'<text x="{LEFT + CH + 60}" y="20" font-weight="bold">nnmc, % of sgemm</text>']
for i, r in enumerate(rows):
    y = 40 + i * ROW
    svg.append(f'<text x="{LEFT - 8}" y="{y + 15}" text-anchor="end">{esc(r["model"])}</text>')
    w = ratio(r) / xmax * CH
    svg.append(f'<rect x="{LEFT}" y="{y}" width="{w:.1f}" height="20" fill="#4a7ab5"/>')
    svg.append(f'<text x="{LEFT + w + 4:.1f}" y="{y + 15}">{ratio(r):.2f}x</text>' if r['torch'] else
               f'<text x="{LEFT + 4}" y="{y + 15}">no PyTorch</text>')
    x2 = LEFT + CH + 60
    w2 = r['pct'] / 100 * (CH - 40)
    svg.append(f'<rect x="{x2}" y="{y}" width="{w2:.1f}" height="20" fill="#6aa84f"/>')
    svg.append(f'<text x="{x2 + w2 + 4:.1f}" y="{y + 15}">{r["pct"]}%</text>')
top, bottom = 30, 40 + ROW * len(rows)
one = LEFT + 1.0 / xmax * CH
target = LEFT + CH + 60 + 0.7 * (CH - 40)
svg.append(f'<line x1="{one:.1f}" y1="{top}" x2="{one:.1f}" y2="{bottom}" stroke="black" stroke-dasharray="4 3"/>')
svg.append(f'<text x="{one:.1f}" y="{bottom + 14}" text-anchor="middle">1.0</text>')
svg.append(f'<line x1="{target:.1f}" y1="{top}" x2="{target:.1f}" y2="{bottom}" stroke="black" stroke-dasharray="4 3"/>')
svg.append(f'<text x="{target:.1f}" y="{bottom + 14}" text-anchor="middle">70%</text>')
svg.append('</svg>')
os.makedirs('bench/out', exist_ok=True)
with open('bench/out/speed.svg', 'w') as f:
    f.write('\n'.join(svg) + '\n')
print('wrote bench/out/speed.svg')
