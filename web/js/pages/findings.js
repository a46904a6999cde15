// Advisories and findings: search by advisory or CVE id, filter by
// severity and KEV, and follow a finding to its host.

import { api, withQuery } from '../api.js';
import { h, table, show, field, select, badge, link } from '../dom.js';

const pageSize = 50;

function parseState(params) {
  const state = { q: '', severity: '', kev: '', after: '' };
  for (const part of (params[0] || '').split('&')) {
    const [key, value] = part.split('=');
    if (key in state) state[key] = decodeURIComponent(value || '');
  }
  return state;
}

function stateHash(state) {
  const parts = Object.entries(state)
    .filter(([, value]) => value !== '')
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
  return `#/findings/${parts.join('&')}`;
}

export async function render(main, { params }) {
  const state = parseState(params);
  const search = h('input', { type: 'search', name: 'q', value: state.q, placeholder: 'CVE-2024-3094' });
  const severity = select(
    'severity',
    [['', 'Any severity'], ['critical', 'Critical'], ['high', 'High and above'], ['medium', 'Medium and above'], ['low', 'Low and above']],
    state.severity,
  );
  const kev = h('input', { type: 'checkbox', name: 'kev', checked: state.kev === 'true' });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Find vulnerable hosts' },
    field('Advisory or CVE id', search, 'The exact id, such as DSA-5678-1 or CVE-2024-3094.'),
    field('Severity', severity),
    h('div', { class: 'field checkbox' }, kev, h('label', { for: (kev.id = 'findings-kev') }, 'Only known exploited (KEV)')),
    h('button', { type: 'submit' }, 'Find'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = stateHash({ q: search.value.trim(), severity: severity.value, kev: kev.checked ? 'true' : '', after: '' });
  });

  const body = await api.get(
    withQuery('/api/v1/findings', {
      advisory: state.q,
      severity: state.severity,
      kev: state.kev,
      status: 'open',
      limit: pageSize,
      after_id: state.after,
    }),
  );
  // The host names come from the host list, which is paged on the server
  // too; only the hosts of this page of findings are asked for.
  const hostIds = [...new Set(body.items.map((f) => f.host_id))];
  const names = new Map();
  await Promise.all(
    hostIds.map((id) =>
      api.get(`/api/v1/hosts/${id}`).then(
        (host) => names.set(id, host.hostname),
        () => names.set(id, id),
      ),
    ),
  );
  const heading = state.q ? `Hosts affected by ${state.q}` : 'Open findings';
  show(
    main,
    h('h1', {}, 'Advisories and findings'),
    form,
    h('h2', { 'data-testid': 'findings-heading' }, heading),
    table(
      heading,
      [
        { label: 'Host', value: (f) => link(`#/host/${f.host_id}`, names.get(f.host_id) || f.host_id) },
        { label: 'Advisory', value: (f) => f.advisory_id },
        { label: 'CVEs', value: (f) => (f.aliases || []).filter((a) => a.startsWith('CVE-')).join(', ') || '—' },
        { label: 'Package', value: (f) => f.package },
        { label: 'Installed', value: (f) => f.installed_version },
        { label: 'Fixed in', value: (f) => f.fixed_version || f.fix_kb || '—' },
        { label: 'Severity', value: (f) => badge(f.severity) },
        { label: 'KEV due', value: (f) => (f.known_exploited ? f.kev_due_date || 'listed' : '—') },
        { label: 'EPSS', value: (f) => (f.epss === null ? '—' : f.epss.toFixed(2)) },
      ],
      body.items,
      { empty: 'No open finding matches.' },
    ),
    body.next_after_id
      ? h('p', {}, link(stateHash({ ...state, after: String(body.next_after_id) }), 'Next page'))
      : null,
  );
}
