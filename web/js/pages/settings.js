// Settings: maintenance windows, collections and rings, feeds, enrolment
// secrets, users and roles, and the audit log. Each tab needs its own
// permission; the server refuses the same requests on its side.

import { api, withQuery } from '../api.js';
import { h, table, show, field, select, badge, link, formatTime, announce, errorBox, readHashState, hashOfState } from '../dom.js';

const tabs = [
  { key: 'windows', label: 'Windows', permission: 'manage_hosts', render: windows },
  { key: 'rings', label: 'Collections and rings', permission: 'manage_hosts', render: rings },
  { key: 'feeds', label: 'Feeds', permission: 'read_feeds', render: feeds },
  { key: 'enrolment', label: 'Enrolment secrets', permission: 'manage_enrolment', render: enrolment },
  { key: 'users', label: 'Users and roles', permission: 'read_users', render: users },
  { key: 'webhooks', label: 'Webhooks', permission: 'manage_webhooks', render: webhooks },
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

// Asks before a deletion, naming what goes. Returns whether to go on.
function confirmed(question) {
  return window.confirm(question);
}

// A button that runs `action` and shows the server's error in `problem`
// (a role="alert" element) when it fails.
function actionButton(label, problem, action) {
  const button = h('button', { type: 'button', class: 'secondary' }, label);
  button.addEventListener('click', async () => {
    problem.hidden = true;
    try {
      await action();
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
      problem.focus();
    }
  });
  return button;
}

function ruleText(rule) {
  if (!rule) return 'static members';
  const parts = Object.entries(rule)
    .filter(([, value]) => value)
    .map(([key, value]) => `${key.replace('_', ' ')} ${value}`);
  return `rule: ${parts.join(', ')}`;
}

// The inputs of a collection: its name, description and, for a rule
// collection, the fields of its rule. An empty rule makes it static.
function collectionInputs(collection = {}) {
  const rule = collection.rule || {};
  return {
    name: h('input', { name: 'name', required: true, maxlength: 200, value: collection.name || '' }),
    description: h('input', { name: 'description', value: collection.description || '' }),
    os_ecosystem: h('input', { name: 'os_ecosystem', placeholder: 'Debian:12', value: rule.os_ecosystem || '' }),
    kind: select('kind', [['', 'Any kind'], ['server', 'Servers'], ['endpoint', 'Endpoints']], rule.kind || ''),
    owner: h('input', { name: 'owner', value: rule.owner || '' }),
    hostname: h('input', { name: 'hostname', placeholder: 'web-*', value: rule.hostname || '' }),
  };
}

function collectionFields(inputs) {
  return [
    field('Name', inputs.name),
    field('Description', inputs.description),
    field('Rule: OS ecosystem', inputs.os_ecosystem, 'Leave every rule field empty for a static collection.'),
    field('Rule: kind', inputs.kind),
    field('Rule: owner', inputs.owner),
    field('Rule: host name pattern', inputs.hostname),
  ];
}

function collectionBody(inputs) {
  const rule = {};
  for (const key of ['os_ecosystem', 'kind', 'owner', 'hostname']) {
    const value = inputs[key].value.trim();
    if (value) rule[key] = value;
  }
  return {
    name: inputs.name.value.trim(),
    description: inputs.description.value.trim(),
    rule: Object.keys(rule).length ? rule : null,
  };
}

// Rings are edited as text, one ring a line: "collection, soak hours,
// minimum success %". The page checks the shape; the server checks the rest.
function ringsText(rings) {
  return (rings || [])
    .map((r) => `${r.collection}, ${r.min_soak_seconds / 3600}, ${Math.round(r.min_success_ratio * 100)}`)
    .join('\n');
}

function parseRings(text) {
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  if (lines.length === 0) throw new Error('List at least one ring: collection, soak hours, minimum success %.');
  return lines.map((line, index) => {
    const [collection, hours = '0', percent = '100', ...rest] = line.split(',').map((part) => part.trim());
    const soak = Number(hours);
    const ratio = Number(percent);
    if (!collection || rest.length || !Number.isFinite(soak) || soak < 0 || !Number.isFinite(ratio) || ratio < 0 || ratio > 100) {
      throw new Error(`Ring ${index + 1} ("${line}"): write "collection, soak hours, minimum success %", such as "web, 24, 95".`);
    }
    return { collection, min_soak_seconds: Math.round(soak * 3600), min_success_ratio: ratio / 100 };
  });
}

function sequenceInputs(sequence = {}) {
  return {
    name: h('input', { name: 'name', required: true, maxlength: 200, value: sequence.name || '' }),
    description: h('input', { name: 'description', value: sequence.description || '' }),
    rings: h('textarea', { name: 'rings', rows: 3, required: true }, ringsText(sequence.rings)),
  };
}

function sequenceFields(inputs) {
  return [
    field('Name', inputs.name),
    field('Description', inputs.description),
    field('Rings, one a line', inputs.rings, 'collection, soak hours, minimum success %: "pilot, 24, 95"'),
  ];
}

function sequenceBody(inputs) {
  return {
    name: inputs.name.value.trim(),
    description: inputs.description.value.trim(),
    rings: parseRings(inputs.rings.value),
  };
}

// An "Edit" disclosure holding the form that changes one object.
function editor(summary, form) {
  return h('details', { class: 'editor' }, h('summary', {}, summary), form);
}

async function rings({ me, rerender }) {
  const [collections, sequences] = await Promise.all([api.get('/api/v1/collections'), api.get('/api/v1/ring-sequences')]);
  // As for windows, the server lets only admins change collections and
  // ring sequences, whatever other role grants manage_hosts.
  const admin = me.roles.includes('admin');
  const problem = h('div', { class: 'error', role: 'alert', tabindex: -1, hidden: true });
  const collectionColumns = [
    { label: 'Id', value: (c) => c.id },
    { label: 'Name', value: (c) => c.name },
    { label: 'Description', value: (c) => c.description || '—' },
    { label: 'Members', value: (c) => ruleText(c.rule) },
  ];
  const sequenceColumns = [
    { label: 'Id', value: (s) => s.id },
    { label: 'Name', value: (s) => s.name },
    { label: 'Rings', value: (s) => (s.rings || []).map((r) => `${r.collection} (soak ${Math.round(r.min_soak_seconds / 3600)} h, ≥${Math.round(r.min_success_ratio * 100)}%)`).join(' → ') },
  ];
  if (admin) {
    collectionColumns.push({
      label: 'Actions',
      value: (c) => {
        const inputs = collectionInputs(c);
        return [
          editor(`Edit ${c.id}`, formWithProblem(`Edit collection ${c.id}`, collectionFields(inputs), 'Save collection', async () => {
            await api.put(`/api/v1/collections/${encodeURIComponent(c.id)}`, collectionBody(inputs));
            announce(`Collection ${c.id} saved.`);
            await rerender();
          })),
          actionButton(`Delete ${c.id}`, problem, async () => {
            if (!confirmed(`Delete the collection ${c.id}?`)) return;
            await api.del(`/api/v1/collections/${encodeURIComponent(c.id)}`);
            announce(`Collection ${c.id} deleted.`);
            await rerender();
          }),
        ];
      },
    });
    sequenceColumns.push({
      label: 'Actions',
      value: (s) => {
        const inputs = sequenceInputs(s);
        return [
          editor(`Edit ${s.id}`, formWithProblem(`Edit ring sequence ${s.id}`, sequenceFields(inputs), 'Save ring sequence', async () => {
            await api.put(`/api/v1/ring-sequences/${encodeURIComponent(s.id)}`, sequenceBody(inputs));
            announce(`Ring sequence ${s.id} saved.`);
            await rerender();
          })),
          actionButton(`Delete ${s.id}`, problem, async () => {
            if (!confirmed(`Delete the ring sequence ${s.id}?`)) return;
            await api.del(`/api/v1/ring-sequences/${encodeURIComponent(s.id)}`);
            announce(`Ring sequence ${s.id} deleted.`);
            await rerender();
          }),
        ];
      },
    });
  }
  const parts = [
    problem,
    table('Collections', collectionColumns, collections.items, { empty: 'No collections.' }),
    table('Ring sequences', sequenceColumns, sequences.items, { empty: 'No ring sequences.' }),
  ];
  if (admin) {
    const newCollectionId = h('input', { name: 'id', required: true, pattern: '[a-z0-9-]{1,64}', placeholder: 'web-servers' });
    const newCollection = collectionInputs();
    const newSequenceId = h('input', { name: 'id', required: true, pattern: '[a-z0-9-]{1,64}', placeholder: 'standard' });
    const newSequence = sequenceInputs();
    parts.push(
      h('h2', {}, 'New collection'),
      formWithProblem('New collection', [field('Id (a-z, 0-9, -)', newCollectionId), ...collectionFields(newCollection)], 'Create collection', async () => {
        await api.post('/api/v1/collections', { id: newCollectionId.value.trim(), ...collectionBody(newCollection) });
        announce(`Collection ${newCollectionId.value.trim()} created.`);
        await rerender();
      }),
      h('h2', {}, 'New ring sequence'),
      formWithProblem('New ring sequence', [field('Id (a-z, 0-9, -)', newSequenceId), ...sequenceFields(newSequence)], 'Create ring sequence', async () => {
        await api.post('/api/v1/ring-sequences', { id: newSequenceId.value.trim(), ...sequenceBody(newSequence) });
        announce(`Ring sequence ${newSequenceId.value.trim()} created.`);
        await rerender();
      }),
    );
  }
  return parts;
}

async function webhooks({ rerender }) {
  const body = await api.get('/api/v1/webhooks');
  const problem = h('div', { class: 'error', role: 'alert', tabindex: -1, hidden: true });
  const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://helpdesk.example.org/hooks/patchkeeper' });
  const description = h('input', { name: 'description' });
  const eventNames = ['ticket.created', 'ticket.commented', 'ticket.approved', 'ticket.refused', 'ticket.applied', 'ticket.superseded', 'deployment.halted', 'deployment.completed'];
  const boxes = eventNames.map((name) => h('input', { type: 'checkbox', name: 'events', value: name }));
  const events = h(
    'fieldset',
    { class: 'checkboxes' },
    h('legend', {}, 'Events'),
    boxes.map((box) => h('label', {}, box, ` ${box.value}`)),
  );
  const deliveries = h('div', {});
  return [
    problem,
    table('Webhook subscriptions', [
      { label: 'Id', value: (w) => String(w.id) },
      { label: 'URL', value: (w) => w.url },
      { label: 'Events', value: (w) => w.events.join(', ') },
      { label: 'Description', value: (w) => w.description || '—' },
      { label: 'Created', value: (w) => `${formatTime(w.created_at)} by ${w.created_by}` },
      {
        label: 'Actions',
        value: (w) => [
          actionButton(`Deliveries of ${w.id}`, problem, async () => {
            const listed = await api.get(`/api/v1/webhooks/${w.id}/deliveries`);
            show(deliveries, table(`Deliveries of webhook ${w.id}, newest first`, [
              { label: 'Event', value: (d) => d.event },
              { label: 'Status', value: (d) => badge(d.status) },
              { label: 'Attempts', value: (d) => String(d.attempts) },
              { label: 'Last error', value: (d) => d.last_error || '—' },
              { label: 'Created', value: (d) => formatTime(d.created_at) },
            ], listed.items, { empty: `No deliveries for webhook ${w.id} yet.` }));
          }),
          actionButton(`Delete webhook ${w.id}`, problem, async () => {
            if (!confirmed(`Delete the webhook to ${w.url}?`)) return;
            await api.del(`/api/v1/webhooks/${w.id}`);
            announce(`Webhook ${w.id} deleted.`);
            await rerender();
          }),
        ],
      },
    ], body.items, { empty: 'No webhooks.' }),
    deliveries,
    h('h2', {}, 'New webhook'),
    formWithProblem('New webhook', [field('URL (https)', url), field('Description', description), events], 'Create webhook', async () => {
      const request = { url: url.value.trim(), events: boxes.filter((box) => box.checked).map((box) => box.value) };
      if (description.value.trim()) request.description = description.value.trim();
      const created = await api.post('/api/v1/webhooks', request);
      await rerender(h('p', {}, `The signing secret of webhook ${created.id}, shown only now: `, h('code', { 'data-testid': 'secret' }, created.secret)));
    }),
  ];
}

function syncSummary(name, result) {
  if (result.result === 'awaiting_confirmation') {
    return `Sync of ${name} waits for confirmation: it would add ${result.added}, change ${result.changed} and remove ${result.removed} records.`;
  }
  return `Sync of ${name} finished: ${result.added} added, ${result.changed} changed, ${result.removed} removed; ${result.record_count} records; ${result.hosts_evaluated} hosts evaluated.`;
}

// The server runs a sync within the request that asks for it, and records
// no sync in progress, so the page shows it running until that request
// returns, then the feed's new state with the result or the error.
async function feeds({ can, rerender }) {
  const body = await api.get('/api/v1/feeds');
  const running = h('div', { role: 'status', 'data-testid': 'sync-progress', hidden: true });
  const runSync = async (feed, button, path, verb) => {
    for (const other of document.querySelectorAll('button[data-feed-action]')) other.disabled = true;
    button.setAttribute('aria-busy', 'true');
    const started = new Date();
    show(running, h('p', {}, `${verb} ${feed.name}: running since ${formatTime(started.toISOString())}…`), h('progress', { 'aria-label': `${verb} ${feed.name}` }));
    running.hidden = false;
    announce(`${verb} ${feed.name}…`);
    let notice;
    try {
      const result = await api.post(path, {});
      notice = h('p', { 'data-testid': 'sync-result' }, syncSummary(feed.name, result));
    } catch (error) {
      notice = h('p', { class: 'error', 'data-testid': 'sync-result' }, `Sync of ${feed.name} failed: ${error.message}`);
    }
    announce(notice.textContent);
    await rerender(notice);
  };
  return [
    running,
    table(
      'Advisory feeds',
      [
        { label: 'Name', value: (f) => f.name },
        { label: 'Kind', value: (f) => f.kind },
        { label: 'Source', value: (f) => f.source || '—' },
        { label: 'Last attempt', value: (f) => formatTime(f.last_attempt_at) },
        { label: 'Last success', value: (f) => formatTime(f.last_success_at) },
        { label: 'Status', value: (f) => h('span', { 'data-testid': `feed-status-${f.name}` }, badge(f.status || 'unknown')) },
        { label: 'Records', value: (f) => String(f.record_count ?? 0) },
        { label: 'Last error', value: (f) => f.last_error || '—' },
        {
          label: 'Actions',
          value: (f) => {
            if (!can('manage_feeds')) return '—';
            const sync = h('button', { type: 'button', class: 'secondary', 'data-feed-action': 'sync' }, `Sync ${f.name} now`);
            sync.addEventListener('click', () => runSync(f, sync, `/api/v1/feeds/${encodeURIComponent(f.name)}/sync`, 'Syncing'));
            if (!f.staged) return sync;
            const confirm = h('button', { type: 'button', class: 'secondary', 'data-feed-action': 'confirm' }, `Confirm the staged sync of ${f.name}`);
            confirm.addEventListener('click', () => runSync(f, confirm, `/api/v1/feeds/${encodeURIComponent(f.name)}/confirm`, 'Applying the staged sync of'));
            return [sync, ' ', confirm, h('p', {}, `Staged: +${f.staged.added} ~${f.staged.changed} −${f.staged.removed}`)];
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
      await rerender(h('p', {}, `The secret of ${created.name || name.value}, shown only now: `, h('code', { 'data-testid': 'secret' }, created.secret)));
    }),
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

const auditPageSize = 50;

// The audit tab's state lives in the address (#/settings/audit/actor=...&before=...),
// so that a page of the log can be bookmarked and the browser's back button works.
function auditState(text) {
  return readHashState(text, { actor: '', object_type: '', object_id: '', before: '' });
}

function auditHash(state) {
  return hashOfState('#/settings/audit/', state);
}

async function audit({ params }) {
  const state = auditState(params[1]);
  const actor = h('input', { name: 'actor', value: state.actor, placeholder: 'user:alice' });
  const objectType = h('input', { name: 'object_type', value: state.object_type, placeholder: 'host' });
  const objectId = h('input', { name: 'object_id', value: state.object_id });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    field('Actor', actor),
    field('Object type', objectType),
    field('Object id', objectId),
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = auditHash({ actor: actor.value.trim(), object_type: objectType.value.trim(), object_id: objectId.value.trim(), before: '' });
  });

  // Newest first, paged back by id on the server.
  const body = await api.get(
    withQuery('/api/v1/audit', {
      order: 'newest',
      limit: auditPageSize,
      before_id: state.before,
      actor: state.actor,
      object_type: state.object_type,
      object_id: state.object_id,
    }),
  );
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages of the audit log' },
    state.before ? link(auditHash({ ...state, before: '' }), 'Newest events') : null,
    body.next_before_id !== null && body.next_before_id !== undefined
      ? link(auditHash({ ...state, before: String(body.next_before_id) }), 'Older events')
      : null,
  );
  return [
    form,
    table(
      state.before ? 'Audit events, newest first (older page)' : 'The latest audit events, newest first',
      [
        { label: 'Id', value: (e) => String(e.id) },
        { label: 'At', value: (e) => formatTime(e.at) },
        { label: 'Actor', value: (e) => e.actor },
        { label: 'Action', value: (e) => e.action },
        { label: 'Object', value: (e) => `${e.object_type} ${e.object_id}` },
      ],
      body.items,
      { empty: 'No audit events match.' },
    ),
    pager,
  ];
}

// `notice`, when given, is shown above the tab: a secret that the server
// shows only once must survive the re-render that lists the new object.
export async function render(main, context, notice = null) {
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
  const rerender = (next = null) => render(main, context, next);
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
    notice ? h('div', { role: 'status', class: 'notice' }, notice) : null,
    content,
  );
}
