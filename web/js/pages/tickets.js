// Tickets: file a window move or a report access request, comment, and
// (admins) approve or refuse tickets filed by others.

import { api, withQuery } from '../api.js';
import { h, table, show, field, select, badge, link, formatTime, announce } from '../dom.js';

function problemBox() {
  return h('div', { class: 'error', role: 'alert', hidden: true });
}

function fail(box, error) {
  box.textContent = error.message;
  box.hidden = false;
}

async function newTicketForm(main, hostId, { can }) {
  const type = select('type', [['move_server_window', 'Move a server to another window'], ['report_access', 'Ask for report access']], 'move_server_window');
  const windows = await api.get('/api/v1/windows').catch(() => ({ items: [] }));
  let servers = { items: [] };
  if (can('read_hosts')) {
    servers = await api.get(withQuery('/api/v1/hosts', { kind: 'server', status: 'active', limit: 500 }));
  }
  const serverOptions = servers.items.map((s) => [s.id, s.hostname]);
  if (hostId && !serverOptions.some(([id]) => id === hostId)) {
    // The list contains only the first servers, so the server this form
    // was opened for is read by itself and the ticket names that server.
    const requested = await api.get(`/api/v1/hosts/${encodeURIComponent(hostId)}`).catch(() => null);
    serverOptions.unshift([hostId, requested ? requested.hostname : hostId]);
  }
  const host = select('host', serverOptions, hostId || serverOptions[0]?.[0]);
  const window = select('window', windows.items.map((w) => [w.id, w.name]), windows.items[0]?.id);
  const justification = h('textarea', { name: 'justification', rows: 4, required: true });
  const problem = problemBox();
  const moveFields = h('div', {}, field('Server', host), field('New window', window));
  type.addEventListener('change', () => {
    moveFields.hidden = type.value !== 'move_server_window';
  });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'new-ticket' },
    h('h1', { id: 'new-ticket' }, 'File a ticket'),
    field('Type', type),
    moveFields,
    field('Justification', justification, 'Why the change is needed; the security team reads it.'),
    h('button', { type: 'submit' }, 'File ticket'),
    problem,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { type: type.value, justification: justification.value.trim() };
    if (type.value === 'move_server_window') {
      body.host = host.value;
      body.window = window.value;
    }
    try {
      const created = await api.post('/api/v1/tickets', body);
      announce(`Ticket ${created.id} filed.`);
      location.hash = `#/tickets/${created.id}`;
    } catch (error) {
      fail(problem, error);
    }
  });
  show(main, h('p', {}, link('#/tickets', '← All tickets')), form);
}

async function renderTicket(main, id, context) {
  const { can, me } = context;
  const ticket = await api.get(`/api/v1/tickets/${encodeURIComponent(id)}`);
  // Names for the ids in the ticket, where the caller may read them.
  const windows = await api.get('/api/v1/windows').catch(() => ({ items: [] }));
  const windowNames = new Map(windows.items.map((w) => [w.id, w.name]));
  const hostNames = new Map();
  await Promise.all(
    ticket.subject_hosts.map((hostId) =>
      api.get(`/api/v1/hosts/${hostId}`).then(
        (host) => hostNames.set(hostId, host.hostname),
        () => hostNames.set(hostId, hostId),
      ),
    ),
  );
  const comment = h('textarea', { name: 'comment', rows: 3 });
  const problem = problemBox();
  const act = (path, needsComment) => async () => {
    const body = {};
    if (comment.value.trim()) body.comment = comment.value.trim();
    if (needsComment && !body.comment) {
      fail(problem, new Error('Write a comment first: a refusal needs one.'));
      return;
    }
    try {
      await api.post(`/api/v1/tickets/${ticket.id}/${path}`, body);
      announce(`Ticket ${ticket.id}: ${path} done.`);
      await renderTicket(main, id, context);
    } catch (error) {
      fail(problem, error);
    }
  };
  const canDecide = can('decide_requests') && ticket.status === 'open' && ticket.requester !== me.username;
  const change = ticket.requested_change || {};
  show(
    main,
    h('p', {}, link('#/tickets', '← All tickets')),
    h('h1', {}, `Ticket ${ticket.id}: ${ticket.type.replace(/_/g, ' ')}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Status'), h('dd', { 'data-testid': 'ticket-status' }, badge(ticket.status)),
      h('dt', {}, 'Requester'), h('dd', {}, ticket.requester),
      h('dt', {}, 'Hosts'), h('dd', {}, ticket.subject_hosts.map((hostId) => link(`#/host/${hostId}`, hostNames.get(hostId)))),
      h('dt', {}, 'Change'), h('dd', { 'data-testid': 'ticket-change' }, change.window ? `to window ${windowNames.get(change.window) || change.window}` : JSON.stringify(change)),
      h('dt', {}, 'Justification'), h('dd', {}, ticket.justification),
      h('dt', {}, 'Decided'), h('dd', {}, ticket.decided_by ? `${ticket.decided_by} at ${formatTime(ticket.decided_at)}` : '—'),
      h('dt', {}, 'Takes effect'), h('dd', {}, formatTime(ticket.effective_at)),
    ),
    h('h2', {}, 'Comments'),
    h('ol', { class: 'log' }, (ticket.comments || []).map((c) => h('li', {}, h('strong', {}, `${c.author} (${c.kind}), ${formatTime(c.created_at)}: `), c.body))),
    field('Comment', comment),
    h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'button', class: 'secondary', onclick: act('comments', true) }, 'Add comment'),
      canDecide ? h('button', { type: 'button', onclick: act('approve', false) }, 'Approve') : null,
      canDecide ? h('button', { type: 'button', class: 'danger', onclick: act('refuse', true) }, 'Refuse') : null,
    ),
    problem,
  );
}

export async function render(main, context) {
  const { params, can } = context;
  if (params[0] === 'new') return newTicketForm(main, params[1], context);
  if (params[0]) return renderTicket(main, params[0], context);
  const status = params[0] === undefined ? '' : '';
  const body = await api.get(withQuery('/api/v1/tickets', { status }));
  show(
    main,
    h('h1', {}, 'Tickets'),
    can('file_requests') ? h('p', {}, link('#/tickets/new', 'File a ticket')) : null,
    table(
      'Tickets, newest first',
      [
        { label: 'Ticket', value: (t) => link(`#/tickets/${t.id}`, `#${t.id}`) },
        { label: 'Type', value: (t) => t.type.replace(/_/g, ' ') },
        { label: 'Status', value: (t) => badge(t.status) },
        { label: 'Requester', value: (t) => t.requester },
        { label: 'Filed', value: (t) => formatTime(t.created_at) },
      ],
      body.items,
      { empty: 'No tickets.' },
    ),
  );
}
