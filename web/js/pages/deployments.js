// Deployments: the list, a form to create one from approved patches, each
// deployment's ring progress (refreshed while it runs), and each host's
// job log.

import { api, withQuery } from '../api.js';
import { h, table, show, field, select, badge, link, formatTime, announce } from '../dom.js';

const finalStatuses = new Set(['completed', 'cancelled', 'halted']);
let refreshTimer = null;

function stopRefresh() {
  if (refreshTimer) clearTimeout(refreshTimer);
  refreshTimer = null;
}

async function createForm(main) {
  const [patches, sequences] = await Promise.all([
    api.get('/api/v1/patches?decision=approved&limit=500'),
    api.get('/api/v1/ring-sequences'),
  ]);
  const name = h('input', { name: 'name', required: true });
  const sequence = select(
    'ring_sequence',
    (sequences.items || []).map((s) => [s.id, s.name || s.id]),
    (sequences.items || [])[0]?.id,
  );
  const deadline = h('input', { type: 'datetime-local', name: 'deadline', required: true });
  const inWeek = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  deadline.value = inWeek.toISOString().slice(0, 16);
  const boxes = patches.items.map((patch) => {
    const box = h('input', { type: 'checkbox', name: 'patches', value: patch.id, id: `patch-${patch.id}` });
    return h('li', {}, box, h('label', { for: box.id }, `${patch.name} ${patch.version || ''} (${patch.affected_hosts} hosts)`));
  });
  const problem = h('div', { class: 'error', role: 'alert', hidden: true });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'new-deployment' },
    h('h2', { id: 'new-deployment' }, 'New deployment'),
    field('Name', name),
    h('fieldset', {}, h('legend', {}, 'Approved patches'), boxes.length ? h('ul', { class: 'plain' }, boxes) : h('p', {}, 'No approved patch fixes an open finding.')),
    field('Ring sequence', sequence),
    field('Deadline (UTC)', deadline),
    h('button', { type: 'submit' }, 'Create deployment'),
    problem,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = [...form.querySelectorAll('input[name=patches]:checked')].map((box) => box.value);
    try {
      const created = await api.post('/api/v1/deployments', {
        name: name.value.trim(),
        patches: chosen,
        ring_sequence: sequence.value,
        deadline: new Date(deadline.value + ':00Z').toISOString(),
      });
      announce(`Deployment ${created.name} created.`);
      location.hash = `#/deployments/${created.id}`;
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
    }
  });
  return form;
}

async function renderList(main, can) {
  const body = await api.get(withQuery('/api/v1/deployments', { limit: 100 }));
  const parts = [
    h('h1', {}, 'Deployments'),
    table(
      'Deployments, newest first',
      [
        { label: 'Name', value: (d) => link(`#/deployments/${d.id}`, d.name) },
        { label: 'Status', value: (d) => badge(d.status) },
        { label: 'Ring', value: (d) => `${Math.min(d.current_ring + 1, d.rings.length)} of ${d.rings.length}` },
        { label: 'Available', value: (d) => formatTime(d.available_at) },
        { label: 'Deadline', value: (d) => formatTime(d.deadline) },
      ],
      body.deployments,
      { empty: 'No deployments yet.' },
    ),
  ];
  if (can('manage_deployments')) parts.push(await createForm(main));
  show(main, parts);
}

function ringProgress(deployment) {
  return h(
    'ol',
    { class: 'rings', 'aria-label': 'Ring progress' },
    deployment.rings.map((ring, index) => {
      const states = deployment.job_states_by_ring[index] || {};
      const total = Object.values(states).reduce((sum, count) => sum + count, 0);
      const done = (states.succeeded || 0) + (states.failed || 0) + (states.cancelled || 0) + (states.unschedulable || 0);
      const label = ring.left_at ? 'done' : ring.entered_at ? 'in progress' : 'waiting';
      return h(
        'li',
        { class: `ring ring-${label.replace(' ', '-')}` },
        h('strong', {}, ring.name || ring.collection),
        ` — ${label}; ${done} of ${total} jobs finished`,
        h('progress', { max: Math.max(total, 1), value: done, 'aria-label': `Ring ${ring.name || ring.collection} progress` }),
        h('span', { class: 'states' }, Object.entries(states).map(([state, count]) => `${state}: ${count}`).join(', ')),
      );
    }),
  );
}

async function renderDeployment(main, id, can) {
  const [deployment, jobs] = await Promise.all([
    api.get(`/api/v1/deployments/${encodeURIComponent(id)}`),
    api.get(`/api/v1/deployments/${encodeURIComponent(id)}/jobs`),
  ]);
  const parts = [
    h('p', {}, link('#/deployments', '← All deployments')),
    h('h1', {}, deployment.name),
    h('p', {}, 'Status: ', h('span', { 'data-testid': 'deployment-status' }, badge(deployment.status)), deployment.status_reason ? ` — ${deployment.status_reason}` : ''),
    h('p', {}, `Available ${formatTime(deployment.available_at)}; deadline ${formatTime(deployment.deadline)}.`),
    ringProgress(deployment),
    h('h2', {}, 'Jobs'),
    table(
      'One job per host',
      [
        { label: 'Host', value: (j) => link(`#/host/${j.host_id}`, j.hostname || j.host_id) },
        { label: 'Ring', value: (j) => String(j.ring + 1) },
        { label: 'State', value: (j) => badge(j.state) },
        { label: 'Message', value: (j) => j.message || '—' },
        { label: 'Log', value: (j) => link(`#/deployments/job/${j.id}`, `Job log ${j.id}`) },
      ],
      jobs.jobs,
      { empty: 'No jobs yet: the deployment has not entered a ring with hosts.' },
    ),
    h('h2', {}, 'Events'),
    table(
      'Deployment events',
      [
        { label: 'At', value: (e) => formatTime(e.at) },
        { label: 'Kind', value: (e) => e.kind },
        { label: 'By', value: (e) => e.actor },
        { label: 'Message', value: (e) => e.message },
      ],
      deployment.events,
    ),
  ];
  if (can('manage_deployments') && !finalStatuses.has(deployment.status)) {
    const cancelProblem = h('div', { class: 'error', role: 'alert', hidden: true });
    parts.splice(
      3,
      0,
      h('button', {
        type: 'button',
        class: 'secondary',
        onclick: async () => {
          cancelProblem.hidden = true;
          try {
            await api.post(`/api/v1/deployments/${encodeURIComponent(id)}/cancel`, {});
          } catch (error) {
            cancelProblem.textContent = `The deployment was not cancelled: ${error.message}`;
            cancelProblem.hidden = false;
            return;
          }
          renderDeployment(main, id, can);
        },
      }, 'Cancel deployment'),
      cancelProblem,
    );
  }
  show(main, parts);
  stopRefresh();
  if (!finalStatuses.has(deployment.status)) {
    // Progress: ask again every two seconds while this page is shown.
    const hash = location.hash;
    refreshTimer = setTimeout(() => {
      if (location.hash === hash) renderDeployment(main, id, can).catch(() => {});
    }, 2000);
  } else {
    announce(`Deployment ${deployment.name} is ${deployment.status}.`);
  }
}

async function renderJob(main, id) {
  const job = await api.get(`/api/v1/jobs/${encodeURIComponent(id)}`);
  show(
    main,
    h('p', {}, link(`#/deployments/${job.deployment_id}`, '← The deployment')),
    h('h1', {}, `Job ${job.id}`),
    h('p', {}, 'Host ', link(`#/host/${job.host_id}`, job.hostname || job.host_id), '; state ', badge(job.state)),
    h('h2', {}, 'Log'),
    h(
      'ol',
      { class: 'log' },
      job.events.map((event) =>
        h(
          'li',
          {},
          h('strong', {}, `${formatTime(event.at)} ${event.state}`),
          ` (${event.source}) ${event.message || ''}`,
          event.output ? h('pre', {}, event.output) : null,
        ),
      ),
    ),
  );
}

export async function render(main, { can, params }) {
  stopRefresh();
  if (params[0] === 'job' && params[1]) return renderJob(main, params[1]);
  if (params[0]) return renderDeployment(main, params[0], can);
  return renderList(main, can);
}
