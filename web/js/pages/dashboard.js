// The dashboard: fleet compliance, open findings by severity, KEV exposure
// with due dates, hosts that need a restart, the next windows, and the
// compliance trend from the daily history.

import { api } from '../api.js';
import { h, svg, table, show, link, formatTime } from '../dom.js';

const severities = ['critical', 'high', 'medium', 'low', 'unknown'];

function card(title, ...body) {
  return h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), ...body);
}

// A line chart of percent compliant per day, drawn as SVG elements.
export function trendChart(points) {
  if (points.length === 0) return h('p', { class: 'empty' }, 'No daily snapshots yet.');
  const width = 480;
  const height = 160;
  const pad = 28;
  const x = (i) => pad + (points.length === 1 ? 0 : (i * (width - 2 * pad)) / (points.length - 1));
  const y = (percent) => height - pad - ((percent ?? 0) * (height - 2 * pad)) / 100;
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i)},${y(p.percent_compliant)}`);
  const last = points[points.length - 1];
  return h(
    'figure',
    { class: 'chart' },
    svg(
      'svg',
      {
        viewBox: `0 0 ${width} ${height}`,
        role: 'img',
        'aria-label': `Percent of hosts compliant per day, from ${points[0].day} to ${last.day}`,
      },
      svg('line', { x1: pad, y1: y(0), x2: width - pad, y2: y(0), class: 'axis' }),
      svg('line', { x1: pad, y1: y(100), x2: width - pad, y2: y(100), class: 'grid' }),
      svg('text', { x: 2, y: y(100) + 4, class: 'label' }, '100%'),
      svg('text', { x: 2, y: y(0) + 4, class: 'label' }, '0%'),
      svg('path', { d: path.join(' '), class: 'line' }),
      points.map((p, i) =>
        svg('circle', { cx: x(i), cy: y(p.percent_compliant), r: 3, class: 'dot' }),
      ),
    ),
    h(
      'figcaption',
      {},
      `${points.length} days; latest ${last.day}: ${
        last.percent_compliant === null ? 'no hosts' : last.percent_compliant.toFixed(1) + '%'
      } compliant.`,
    ),
  );
}

export async function render(main, { can }) {
  const content = [h('h1', {}, 'Dashboard')];

  if (can('read_reports')) {
    const [summary, overview, history] = await Promise.all([
      api.get('/api/v1/reports/compliance-summary?by=fleet'),
      api.get('/api/v1/dashboard'),
      api.get('/api/v1/reports/compliance-history?by=fleet&days=90'),
    ]);
    const fleet = summary.groups[0] || { percent_compliant: null, total: 0 };
    content.push(
      h(
        'div',
        { class: 'cards' },
        card(
          'Compliance',
          h(
            'p',
            { class: 'big', 'data-testid': 'compliance-percent' },
            fleet.percent_compliant === null ? '—' : `${fleet.percent_compliant.toFixed(1)}%`,
          ),
          h(
            'p',
            {},
            `${fleet.compliant ?? 0} of ${fleet.total ?? 0} hosts compliant, ${
              fleet.unknown ?? 0
            } unknown.`,
          ),
        ),
        card(
          'Open findings by severity',
          h(
            'ul',
            { class: 'severities' },
            severities.map((severity) =>
              h(
                'li',
                {},
                h('a', { href: `#/findings/severity=${severity}` }, severity),
                ': ',
                h('strong', {}, String(overview.findings_by_severity[severity] ?? 0)),
              ),
            ),
          ),
        ),
        card(
          'Hosts needing a restart',
          h('p', { class: 'big' }, String(overview.restart_required.count)),
          h(
            'ul',
            {},
            overview.restart_required.hosts.map((host) =>
              h('li', {}, link(`#/hosts/${host.id}`, host.hostname)),
            ),
          ),
        ),
      ),
      card(
        'Known exploited vulnerabilities (CISA KEV)',
        table(
          'Open KEV findings, earliest due date first',
          [
            { label: 'Advisory', value: (k) => link(`#/findings/q=${k.advisory_id}`, k.advisory_id) },
            { label: 'Due date', value: (k) => k.kev_due_date || '—' },
            { label: 'Hosts', value: (k) => String(k.hosts) },
          ],
          overview.kev,
          { empty: 'No open finding is in the KEV catalog.' },
        ),
      ),
      card('Compliance trend (90 days)', trendChart(history.series[0]?.points || [])),
    );
  }

  if (can('read_hosts')) {
    const windows = await api.get('/api/v1/windows');
    const upcoming = (windows.items || windows.windows || [])
      .filter((w) => w.next_occurrence)
      .sort((a, b) => a.next_occurrence.start_utc.localeCompare(b.next_occurrence.start_utc))
      .slice(0, 5);
    content.push(
      card(
        'Next maintenance windows',
        table(
          'The next occurrence of each window',
          [
            { label: 'Window', value: (w) => w.name },
            { label: 'Opens', value: (w) => formatTime(w.next_occurrence.start_utc) },
            { label: 'Local time', value: (w) => `${w.next_occurrence.start_local.replace('T', ' ').replace(/:00([+-])/, ' $1')} (${w.zone})` },
          ],
          upcoming,
          { empty: 'No window has an occurrence coming.' },
        ),
      ),
    );
  }
  show(main, content);
}
