// Reports: servers by window, compliance by group, overdue hosts and
// vulnerable hosts by CVE. Each exports CSV; the print stylesheet lays
// out the page for paper.

import { api, withQuery, download } from '../api.js';
import { h, table, show, field, select, badge, link, formatTime, errorBox } from '../dom.js';

const reports = {
  'servers-by-window': 'Servers by window',
  compliance: 'Compliance by group',
  overdue: 'Overdue hosts',
  cve: 'Vulnerable hosts by CVE',
};

function toolbar(csvPath, filename) {
  return h(
    'div',
    { class: 'toolbar no-print' },
    h('button', { type: 'button', onclick: () => download(csvPath, filename) }, 'Download CSV'),
    h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, 'Print'),
  );
}

async function serversByWindow() {
  const body = await api.get('/api/v1/reports/servers-by-window');
  const serverColumns = [
    { label: 'Host name', value: (s) => link(`#/host/${s.id || s.host_id}`, s.hostname) },
    { label: 'Owner', value: (s) => s.owner || '—' },
    { label: 'OS', value: (s) => s.os?.pretty_name || s.os?.ecosystem || '—' },
    { label: 'Compliance', value: (s) => badge(s.compliance.status) },
    { label: 'Reason', value: (s) => s.compliance.reason || '' },
  ];
  return [
    toolbar('/api/v1/reports/servers-by-window?format=csv', 'servers-by-window.csv'),
    body.windows.map((window) =>
      h(
        'section',
        { class: 'report-section' },
        h('h2', {}, window.name),
        h('p', {}, window.next_occurrence ? `Next: ${window.next_occurrence.start_local} ${window.zone} (${formatTime(window.next_occurrence.start_utc)})` : 'No next occurrence.'),
        table(`Servers in ${window.name}`, serverColumns, window.servers, { empty: 'No servers in this window.' }),
      ),
    ),
    h(
      'section',
      { class: 'report-section' },
      h('h2', {}, 'Servers without a window'),
      table('Servers without a window', serverColumns, body.servers_without_window, { empty: 'Every server is in a window.' }),
    ),
  ];
}

async function compliance(params) {
  const by = params[1] || 'collection';
  const chooser = select('by', [['fleet', 'Fleet'], ['collection', 'Collection'], ['owner', 'Owner'], ['window', 'Window'], ['ring', 'Ring']], by);
  chooser.addEventListener('change', () => {
    location.hash = `#/reports/compliance/${chooser.value}`;
  });
  const body = await api.get(withQuery('/api/v1/reports/compliance-summary', { by }));
  return [
    h('div', { class: 'no-print' }, field('Group by', chooser)),
    toolbar(`/api/v1/reports/compliance-summary?by=${by}&format=csv`, `compliance-by-${by}.csv`),
    table(
      `Compliance by ${by}`,
      [
        { label: 'Group', value: (g) => g.name },
        { label: 'Compliant', value: (g) => String(g.compliant) },
        { label: 'Not compliant', value: (g) => String(g.not_compliant) },
        { label: 'Unknown', value: (g) => String(g.unknown) },
        { label: 'Total', value: (g) => String(g.total) },
        { label: 'Percent', value: (g) => (g.percent_compliant === null ? '—' : `${g.percent_compliant.toFixed(1)}%`) },
      ],
      body.groups,
    ),
  ];
}

async function overdue() {
  const body = await api.get('/api/v1/reports/overdue');
  return [
    toolbar('/api/v1/reports/overdue?format=csv', 'overdue-hosts.csv'),
    table(
      'Hosts past a deployment deadline with work left',
      [
        { label: 'Host', value: (o) => link(`#/host/${o.host_id}`, o.hostname) },
        { label: 'Owner', value: (o) => o.owner || '—' },
        { label: 'Deployment', value: (o) => link(`#/deployments/${o.deployment.id}`, o.deployment.name) },
        { label: 'Deadline', value: (o) => formatTime(o.deadline) },
        { label: 'Overdue by', value: (o) => `${Math.round(o.overdue_seconds / 3600)} h` },
        { label: 'Reasons', value: (o) => o.reasons.join('; ') },
      ],
      body.hosts,
      { empty: 'No host is overdue.' },
    ),
  ];
}

// Vulnerable hosts by CVE: the open findings of one CVE, from the paged
// findings API, exported to CSV in the browser.
async function byCve(params) {
  const cve = params[1] || '';
  const input = h('input', { type: 'search', name: 'cve', value: cve, placeholder: 'CVE-2024-3094' });
  const form = h('form', { class: 'filters no-print', role: 'search', 'aria-label': 'Choose a CVE' }, field('CVE id', input), h('button', { type: 'submit' }, 'Show hosts'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/reports/cve/${encodeURIComponent(input.value.trim())}`;
  });
  if (!cve) return [form];
  const body = await api.get(withQuery('/api/v1/findings', { advisory: cve, status: 'open', limit: 1000 }));
  const rows = body.items;
  const csv = () => {
    const quote = (v) => `"${String(v ?? '').replace(/"/g, '""').replace(/^([=+\-@\t\r])/, "'$1")}"`;
    const lines = [['host_id', 'package', 'installed_version', 'fixed_version', 'severity'].join(',')];
    for (const f of rows) lines.push([f.host_id, f.package, f.installed_version, f.fixed_version, f.severity].map(quote).join(','));
    const url = URL.createObjectURL(new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `hosts-vulnerable-to-${cve}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
  };
  return [
    form,
    h('div', { class: 'toolbar no-print' }, h('button', { type: 'button', onclick: csv }, 'Download CSV'), h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, 'Print')),
    table(
      `Hosts with an open finding of ${cve}`,
      [
        { label: 'Host', value: (f) => link(`#/host/${f.host_id}`, f.host_id) },
        { label: 'Package', value: (f) => f.package },
        { label: 'Installed', value: (f) => f.installed_version },
        { label: 'Fixed in', value: (f) => f.fixed_version || '—' },
        { label: 'Severity', value: (f) => badge(f.severity) },
      ],
      rows,
      { empty: 'No host has an open finding of this CVE.' },
    ),
  ];
}

export async function render(main, { params }) {
  const current = reports[params[0]] ? params[0] : 'servers-by-window';
  const tabs = h(
    'nav',
    { class: 'tabs no-print', 'aria-label': 'Reports' },
    Object.entries(reports).map(([key, label]) => h('a', { href: `#/reports/${key}`, 'aria-current': key === current ? 'page' : null }, label)),
  );
  let content;
  try {
    content = await { 'servers-by-window': serversByWindow, compliance, overdue, cve: byCve }[current](params);
  } catch (error) {
    content = [errorBox(error)];
  }
  show(main, h('h1', {}, reports[current]), tabs, h('p', { class: 'print-only' }, `Printed ${new Date().toISOString().slice(0, 16)} UTC`), content);
}
