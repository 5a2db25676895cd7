#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Plot one trigger event's SigMF recording (docs/triggers.md): every
channel against the device sample index, the trigger sample and its level
marked, gaps shown as breaks. Needs Debian's python3-matplotlib.

Usage: plot-trigger-event.py EVENT.sigmf-meta OUT.png
"""
import json
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    meta_path, out = sys.argv[1], sys.argv[2]
    with open(meta_path) as f:
        meta = json.load(f)
    g = meta['global']
    nchan = g['core:num_channels']
    n = g['daqd:sample_count']
    data = np.fromfile(meta_path[:-len('.sigmf-meta')] + '.sigmf-data', dtype='<i2',
                       count=n * nchan).reshape(-1, nchan)
    trig = next(a for a in meta['annotations'] if a.get('core:label') == 'trigger')
    caps = meta['captures']
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    for c in range(nchan):
        for i, cap in enumerate(caps):
            s = cap['core:sample_start']
            e = caps[i + 1]['core:sample_start'] if i + 1 < len(caps) else n
            idx = np.arange(e - s) + cap['core:global_index']
            ax.plot(idx, data[s:e, c], lw=0.8,
                    alpha=1.0 if c == trig['daqd:trigger_channel'] else 0.25,
                    color=f'C{c}', label=f'channel {c}' if i == 0 else None)
    t = trig['daqd:trigger_index']
    ax.axvline(t, color='k', ls='--', lw=1, label=f'trigger at sample {t}')
    ax.axhline(trig['daqd:trigger_level'], color='r', ls=':', lw=1,
               label=f'level {trig["daqd:trigger_level"]}')
    ax.set_xlabel('device sample index')
    ax.set_ylabel('raw sample (int16)')
    ax.set_title(f'{trig["daqd:trigger_name"]}: {trig["daqd:trigger_condition"]} on channel '
                 f'{trig["daqd:trigger_channel"]}, pre {trig["daqd:trigger_pre"]}, '
                 f'post {trig["daqd:trigger_post"]}, history lost '
                 f'{trig["daqd:trigger_history_lost_samples"]}')
    ax.legend(loc='upper right', fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
