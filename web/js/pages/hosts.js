// Hosts: a list paged, searched and filtered on the server, and each
// host's page with its system, compliance, restart state, window and
// findings.

import { api, withQuery } from '../api.js';
import { h, table, show, field, select, badge, link, formatTime, errorBox, readHashState, hashOfState } from '../dom.js';

const pageSize = 25;

function parseState(params) {
  return readHashState(params[0], { q: '', kind: '', compliance: '', offset: 0 });
}

function stateHash(state) {
  return hashOfState('#/hosts/', state);
}

async function renderList(main, params) {
  const state = parseState(params);
  const search = h('input', { type: 'search', name: 'q', value: state.q });
  const kind = select('kind', [['', 'Any kind'], ['server', 'Servers'], ['endpoint', 'Endpoints']], state.kind);
  const compliance = select(
    'compliance',
    [
      ['', 'Any compliance'],
      ['compliant', 'Compliant'],
      ['not_compliant', 'Not compliant'],
      ['unknown', 'Unknown'],
    ],
    state.compliance,
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter hosts' },
    field('Search host name, id or owner', search),
    field('Kind', kind),
    field('Compliance', compliance),
    h('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = stateHash({ q: search.value.trim(), kind: kind.value, compliance: compliance.value, offset: 0 });
  });

  const body = await api.get(
    withQuery('/api/v1/hosts', {
      q: state.q,
      kind: state.kind,
      compliance: state.compliance,
      status: 'active',
      limit: pageSize,
      offset: state.offset,
    }),
  );
  const total = body.total ?? body.items.length;
  const from = total === 0 ? 0 : state.offset + 1;
  const to = state.offset + body.items.length;
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages of hosts' },
    h('span', { 'data-testid': 'host-count' }, `Hosts ${from}–${to} of ${total}`),
    state.offset > 0
      ? link(stateHash({ ...state, offset: Math.max(0, state.offset - pageSize) }), 'Previous page')
      : null,
    to < total ? link(stateHash({ ...state, offset: state.offset + pageSize }), 'Next page') : null,
  );
  show(
    main,
    h('h1', {}, 'Hosts'),
    form,
    pager,
    table(
      'Hosts',
      [
        { label: 'Host name', value: (host) => link(`#/host/${host.id}`, host.hostname) },
        { label: 'Kind', value: (host) => host.kind },
        { label: 'Owner', value: (host) => host.owner || '—' },
        { label: 'OS', value: (host) => host.os?.pretty_name || host.os?.ecosystem || '—' },
        { label: 'Open findings', value: (host) => String(host.open_findings) },
        { label: 'Compliance', value: (host) => badge(host.compliance.status) },
      ],
      body.items,
      { empty: 'No host matches.' },
    ),
  );
}

function findingsTable(findings) {
  return table(
    'Open findings',
    [
      { label: 'Advisory', value: (f) => f.advisory_id },
      { label: 'CVEs', value: (f) => (f.aliases || []).filter((a) => a.startsWith('CVE-')).join(', ') || '—' },
      { label: 'Package', value: (f) => f.package },
      { label: 'Installed', value: (f) => f.installed_version },
      { label: 'Fixed in', value: (f) => f.fixed_version || f.fix_kb || '—' },
      { label: 'Severity', value: (f) => badge(f.severity) },
      { label: 'KEV due', value: (f) => (f.known_exploited ? f.kev_due_date || 'listed' : '—') },
    ],
    findings,
    { empty: 'No open findings.' },
  );
}

// The host's installed packages, searched and paged on the server.
async function packagesSection(id) {
  const section = h('section', { 'aria-label': 'Installed packages' });
  const search = h('input', { type: 'search', name: 'package' });
  let offset = 0;
  const results = h('div', {});
  const load = async () => {
    const body = await api.get(
      withQuery(`/api/v1/hosts/${encodeURIComponent(id)}/packages`, { q: search.value.trim(), limit: 50, offset }),
    );
    const to = offset + body.items.length;
    show(
      results,
      h('p', { 'data-testid': 'package-count' }, `Packages ${body.total === 0 ? 0 : offset + 1}–${to} of ${body.total}`),
      table(
        'Installed packages',
        [
          { label: 'Package', value: (p) => p.name },
          { label: 'Version', value: (p) => p.version },
          { label: 'Architecture', value: (p) => p.architecture },
          { label: 'Source', value: (p) => `${p.source_name} ${p.source_version}` },
        ],
        body.items,
        { empty: 'No package matches, or the host has sent no inventory yet.' },
      ),
      h(
        'div',
        { class: 'pager' },
        offset > 0 ? h('button', { type: 'button', class: 'secondary', onclick: () => { offset = Math.max(0, offset - 50); load(); } }, 'Previous packages') : null,
        to < body.total ? h('button', { type: 'button', class: 'secondary', onclick: () => { offset += 50; load(); } }, 'Next packages') : null,
      ),
    );
  };
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search packages' }, field('Package name', search), h('button', { type: 'submit' }, 'Search packages'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    offset = 0;
    load();
  });
  await load();
  section.append(form, results);
  return section;
}

export async function renderHost(main, id, { can }) {
  const host = await api.get(`/api/v1/hosts/${encodeURIComponent(id)}`);
  const parts = [
    h('p', {}, link('#/hosts', '← All hosts')),
    h('h1', {}, host.hostname),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Id'), h('dd', {}, host.id),
      h('dt', {}, 'Kind'), h('dd', {}, host.kind),
      h('dt', {}, 'Owner'), h('dd', {}, host.owner || '—'),
      h('dt', {}, 'OS'), h('dd', {}, host.os?.pretty_name || '—'),
      h('dt', {}, 'Kernel'), h('dd', {}, host.kernel || '—'),
      h('dt', {}, 'Last seen'), h('dd', {}, formatTime(host.last_seen_at)),
      h('dt', {}, 'Compliance'),
      h('dd', {}, badge(host.compliance.status), ' ', host.compliance.reason || ''),
      h('dt', {}, 'Restart'),
      h('dd', { 'data-testid': 'restart-state' },
        host.restart?.required ? `Needed: ${host.restart.reason || 'pending'}` : 'Not needed'),
      h('dt', {}, 'Collections'), h('dd', {}, (host.collections || []).join(', ') || '—'),
    ),
  ];
  if (host.kind === 'server') {
    try {
      const window = await api.get(`/api/v1/hosts/${encodeURIComponent(id)}/window`);
      parts.push(
        h('h2', {}, 'Maintenance window'),
        h(
          'p',
          { 'data-testid': 'host-window' },
          window.window ? window.window.name : 'No maintenance window',
          window.pending ? ` (moving to ${window.pending.window?.name ?? 'none'} at ${formatTime(window.pending.effective_at)})` : '',
        ),
      );
      if (can('file_requests')) {
        parts.push(h('p', {}, link(`#/tickets/new/${host.id}`, 'Ask to move this server to another window')));
      }
    } catch (error) {
      parts.push(errorBox(error));
    }
  }
  parts.push(h('h2', {}, 'Installed packages'), await packagesSection(id));
  if (can('read_findings')) {
    const findings = await api.get(`/api/v1/hosts/${encodeURIComponent(id)}/findings?status=open`);
    parts.push(h('h2', {}, 'Findings'), findingsTable(findings.items));
  }
  if (can('read_deployments')) {
    const jobs = await api.get(withQuery('/api/v1/jobs', { host: id, limit: 20 }));
    {
      parts.push(
        h('h2', {}, 'Jobs'),
        table(
          'The host\'s latest jobs',
          [
            { label: 'Job', value: (j) => link(`#/deployments/job/${j.id}`, j.id) },
            { label: 'Deployment', value: (j) => link(`#/deployments/${j.deployment_id}`, j.deployment_id) },
            { label: 'State', value: (j) => badge(j.state) },
            { label: 'Updated', value: (j) => formatTime(j.updated_at) },
          ],
          jobs.items,
          { empty: 'No jobs.' },
        ),
      );
    }
  }
  show(main, parts);
}

export async function render(main, context) {
  await renderList(main, context.params);
}
