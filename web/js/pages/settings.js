// Settings: maintenance windows, collections and rings, feeds, enrolment
// secrets, users and roles, and the audit log. Each tab needs its own
// permission; the server refuses the same requests on its side.

import { api, withQuery } from '../api.js';
import { h, table, show, field, select, badge, formatTime, announce, errorBox } from '../dom.js';

const tabs = [
  { key: 'windows', label: 'Windows', permission: 'manage_hosts', render: windows },
  { key: 'rings', label: 'Collections and rings', permission: 'manage_hosts', render: rings },
  { key: 'feeds', label: 'Feeds', permission: 'read_feeds', render: feeds },
  { key: 'enrolment', label: 'Enrolment secrets', permission: 'manage_enrolment', render: enrolment },
  { key: 'users', label: 'Users and roles', permission: 'read_users', render: users },
  { key: 'audit', label: 'Audit log', permission: 'read_audit', render: audit },
];

export const permissions = [...new Set(tabs.map((tab) => tab.permission))];

function formWithProblem(label, fields, submitLabel, onSubmit) {
  const problem = h('div', { class: 'error', role: 'alert', hidden: true });
  const form = h('form', { class: 'inline-form', 'aria-label': label }, fields, h('button', { type: 'submit' }, submitLabel), problem);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.hidden = true;
    try {
      await onSubmit();
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
    }
  });
  return form;
}

async function windows({ me, rerender }) {
  const body = await api.get('/api/v1/windows');
  const parts = [
    table(
      'Maintenance windows',
      [
        { label: 'Name', value: (w) => w.name },
        { label: 'Rule', value: (w) => `${w.rrule}${w.offset_days ? ` + ${w.offset_days} days` : ''}` },
        { label: 'Starts', value: (w) => `${w.start} ${w.zone}` },
        { label: 'Length', value: (w) => w.length },
        { label: 'Servers', value: (w) => String(w.servers) },
        { label: 'Next', value: (w) => (w.next_occurrence ? formatTime(w.next_occurrence.start_utc) : '—') },
      ],
      body.items,
      { empty: 'No windows yet.' },
    ),
  ];
  // The server lets only admins change windows, whatever other role
  // grants manage_hosts.
  if (me.roles.includes('admin')) {
    const name = h('input', { name: 'name', required: true });
    const rrule = h('input', { name: 'rrule', value: 'FREQ=MONTHLY;BYDAY=2TU', required: true });
    const start = h('input', { name: 'start', value: '2026-01-01T02:00', required: true });
    const zone = h('input', { name: 'zone', value: 'Europe/Zurich', required: true });
    const length = h('input', { name: 'length', value: '4h', required: true });
    parts.push(
      h('h2', {}, 'New window'),
      formWithProblem('New window', [field('Name', name), field('Recurrence rule (RFC 5545)', rrule), field('First start (local)', start), field('Time zone', zone), field('Length', length)], 'Create window', async () => {
        await api.post('/api/v1/windows', { name: name.value, rrule: rrule.value, start: start.value, zone: zone.value, length: length.value });
        announce(`Window ${name.value} created.`);
        await rerender();
      }),
    );
  }
  return parts;
}

async function rings() {
  const [collections, sequences] = await Promise.all([api.get('/api/v1/collections'), api.get('/api/v1/ring-sequences')]);
  return [
    table('Collections', [
      { label: 'Id', value: (c) => c.id },
      { label: 'Name', value: (c) => c.name },
      { label: 'Description', value: (c) => c.description || '—' },
    ], collections.items, { empty: 'No collections.' }),
    table('Ring sequences', [
      { label: 'Id', value: (s) => s.id },
      { label: 'Name', value: (s) => s.name },
      { label: 'Rings', value: (s) => (s.rings || []).map((r) => `${r.collection} (soak ${Math.round(r.min_soak_seconds / 3600)} h, ≥${Math.round(r.min_success_ratio * 100)}%)`).join(' → ') },
    ], sequences.items, { empty: 'No ring sequences.' }),
  ];
}

async function feeds({ can, rerender }) {
  const body = await api.get('/api/v1/feeds');
  return [
    table(
      'Advisory feeds',
      [
        { label: 'Name', value: (f) => f.name },
        { label: 'Kind', value: (f) => f.kind },
        { label: 'Last sync', value: (f) => formatTime(f.last_success_at || f.last_attempt_at) },
        { label: 'Status', value: (f) => badge(f.last_status || f.status || 'unknown') },
        {
          label: 'Actions',
          value: (f) => {
            if (!can('manage_feeds')) return '—';
            const button = h('button', { type: 'button', class: 'secondary' }, `Sync ${f.name} now`);
            button.addEventListener('click', async () => {
              // A sync can take a while: show that it runs.
              button.disabled = true;
              button.textContent = `Syncing ${f.name}…`;
              button.setAttribute('aria-busy', 'true');
              announce(`Syncing ${f.name}…`);
              try {
                await api.post(`/api/v1/feeds/${encodeURIComponent(f.name)}/sync`, {});
                announce(`${f.name} synced.`);
              } catch (error) {
                announce(error.message);
              }
              await rerender();
            });
            return button;
          },
        },
      ],
      body.items,
      { empty: 'No feeds are configured.' },
    ),
  ];
}

async function enrolment({ rerender }) {
  const body = await api.get('/api/v1/enrolment-secrets');
  const name = h('input', { name: 'name', required: true });
  const kind = select('kind', [['server', 'Servers'], ['endpoint', 'Endpoints']], 'server');
  const owner = h('input', { name: 'owner' });
  const collections = h('input', { name: 'collections', placeholder: 'web, production' });
  const shown = h('div', { role: 'status' });
  return [
    table('Enrolment secrets', [
      { label: 'Name', value: (s) => s.name },
      { label: 'Kind', value: (s) => s.kind },
      { label: 'Owner', value: (s) => s.owner || '—' },
      { label: 'Expires', value: (s) => formatTime(s.expires_at) },
    ], body.items, { empty: 'No enrolment secrets.' }),
    h('h2', {}, 'New enrolment secret'),
    formWithProblem('New enrolment secret', [field('Name', name), field('Kind', kind), field('Owner', owner), field('Collections (comma separated)', collections)], 'Create secret', async () => {
      const request = { name: name.value, kind: kind.value, expires_in_hours: 24 };
      if (owner.value.trim()) request.owner = owner.value.trim();
      const list = collections.value.split(',').map((c) => c.trim()).filter(Boolean);
      if (list.length) request.collections = list;
      const created = await api.post('/api/v1/enrolment-secrets', request);
      await rerender();
      show(shown, h('p', {}, 'The secret, shown only now: ', h('code', {}, created.secret)));
    }),
    shown,
  ];
}

async function users({ can, rerender }) {
  const body = await api.get('/api/v1/users');
  const parts = [
    table('Users and their roles', [
      { label: 'Username', value: (u) => u.username },
      { label: 'Roles', value: (u) => u.roles.join(', ') || '—' },
      { label: 'Disabled', value: (u) => (u.disabled ? 'yes' : 'no') },
    ], body.items),
  ];
  if (can('manage_users')) {
    const username = h('input', { name: 'username', required: true, autocomplete: 'off' });
    const password = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' });
    const role = select('role', ['viewer', 'owner', 'operator', 'auditor', 'helpdesk', 'admin'].map((r) => [r, r]), 'viewer');
    parts.push(
      h('h2', {}, 'New user'),
      formWithProblem('New user', [field('Username', username), field('Password', password), field('Role', role)], 'Create user', async () => {
        await api.post('/api/v1/users', { username: username.value, password: password.value, roles: [role.value] });
        announce(`User ${username.value} created.`);
        await rerender();
      }),
    );
  }
  return parts;
}

async function audit() {
  const body = await api.get(withQuery('/api/v1/audit', { limit: 200 }));
  const events = body.items.slice().reverse();
  return [
    table('The latest audit events, newest first', [
      { label: 'At', value: (e) => formatTime(e.at) },
      { label: 'Actor', value: (e) => e.actor },
      { label: 'Action', value: (e) => e.action },
      { label: 'Object', value: (e) => `${e.object_type} ${e.object_id}` },
    ], events, { empty: 'No audit events.' }),
  ];
}

export async function render(main, context) {
  const { can, params, refused } = context;
  const visible = tabs.filter((tab) => can(tab.permission));
  const requested = params[0] ? tabs.find((tab) => tab.key === params[0]) : visible[0];
  if (!requested) {
    refused(main, 'this settings page');
    return;
  }
  if (!can(requested.permission)) {
    refused(main, `the ${requested.label} settings`);
    return;
  }
  const rerender = () => render(main, context);
  let content;
  try {
    content = await requested.render({ ...context, rerender });
  } catch (error) {
    content = [errorBox(error)];
  }
  show(
    main,
    h('h1', {}, `Settings: ${requested.label}`),
    h('nav', { class: 'tabs', 'aria-label': 'Settings' }, visible.map((tab) => h('a', { href: `#/settings/${tab.key}`, 'aria-current': tab === requested ? 'page' : null }, tab.label))),
    content,
  );
}
