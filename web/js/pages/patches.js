// The patch catalog: each patch with its facts and decision; admins
// approve or decline, and manage the approval rules.

import { api, withQuery } from '../api.js';
import { h, table, show, field, select, badge, link, formatTime, errorBox, announce } from '../dom.js';

async function decide(id, decision, reason) {
  const body = { decision };
  if (reason) body.reason = reason;
  return api.post(`/api/v1/patches/${encodeURIComponent(id)}/decision`, body);
}

function decisionControls(patch, rerender) {
  const reason = h('input', { name: 'reason', placeholder: 'Reason (needed to decline)' });
  const problem = h('div', { class: 'error', role: 'alert', hidden: true });
  const act = (decision) => async () => {
    try {
      await decide(patch.id, decision, reason.value.trim());
      announce(`${patch.name} ${patch.version || ''} ${decision}.`);
      await rerender();
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
    }
  };
  return h(
    'div',
    { class: 'decide' },
    field(`Reason for ${patch.name}`, reason),
    h('button', { type: 'button', onclick: act('approved') }, `Approve ${patch.name}`),
    h('button', { type: 'button', class: 'secondary', onclick: act('declined') }, `Decline ${patch.name}`),
    problem,
  );
}

async function renderRules(can) {
  const rules = await api.get('/api/v1/approval-rules');
  const parts = [
    h('h2', {}, 'Approval rules'),
    table(
      'Approval rules',
      [
        { label: 'Name', value: (r) => r.name },
        { label: 'Ecosystem', value: (r) => r.ecosystem || 'any' },
        { label: 'Minimum severity', value: (r) => r.minimum_severity },
        { label: 'KEV only', value: (r) => (r.kev_only ? 'yes' : 'no') },
        { label: 'Enabled', value: (r) => (r.enabled ? 'yes' : 'no') },
        {
          label: 'Actions',
          value: (r) =>
            can('decide_patches')
              ? h('button', {
                  type: 'button',
                  class: 'secondary',
                  onclick: async () => {
                    await api.del(`/api/v1/approval-rules/${r.id}`);
                    location.reload();
                  },
                }, `Delete rule ${r.name}`)
              : '—',
        },
      ],
      rules.items,
      { empty: 'No approval rules.' },
    ),
  ];
  if (can('decide_patches')) {
    const name = h('input', { name: 'name', required: true });
    const ecosystem = h('input', { name: 'ecosystem', placeholder: 'Debian:12' });
    const severity = select('minimum_severity', [['unknown', 'Any'], ['low', 'Low'], ['medium', 'Medium'], ['high', 'High'], ['critical', 'Critical']], 'high');
    const kev = h('input', { type: 'checkbox', name: 'kev_only', id: 'rule-kev' });
    const problem = h('div', { class: 'error', role: 'alert', hidden: true });
    const form = h(
      'form',
      { class: 'inline-form', 'aria-label': 'New approval rule' },
      field('Rule name', name),
      field('Ecosystem', ecosystem),
      field('Minimum severity', severity),
      h('div', { class: 'field checkbox' }, kev, h('label', { for: 'rule-kev' }, 'KEV only')),
      h('button', { type: 'submit' }, 'Add rule'),
      problem,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { name: name.value.trim(), minimum_severity: severity.value, kev_only: kev.checked };
      if (ecosystem.value.trim()) body.ecosystem = ecosystem.value.trim();
      try {
        const created = await api.post('/api/v1/approval-rules', body);
        announce(`Rule created; it approved ${created.approved_patches ?? 0} patches.`);
        location.reload();
      } catch (error) {
        problem.textContent = error.message;
        problem.hidden = false;
      }
    });
    parts.push(form);
  }
  return parts;
}

export async function render(main, context) {
  const { can, params } = context;
  const decision = params[0] || '';
  const filter = select('decision', [['', 'Any decision'], ['pending', 'Pending'], ['approved', 'Approved'], ['declined', 'Declined']], decision);
  filter.addEventListener('change', () => {
    location.hash = `#/patches/${filter.value}`;
  });
  const body = await api.get(withQuery('/api/v1/patches', { decision, limit: 200 }));
  const columns = [
    { label: 'Patch', value: (p) => `${p.name} ${p.version || ''}`.trim() },
    { label: 'Ecosystem', value: (p) => p.ecosystem },
    { label: 'Advisories', value: (p) => p.advisories.join(', ') },
    { label: 'Severity', value: (p) => badge(p.highest_severity) },
    { label: 'KEV', value: (p) => (p.known_exploited ? `due ${p.earliest_kev_due_date || '—'}` : 'no') },
    { label: 'Hosts', value: (p) => String(p.affected_hosts) },
    { label: 'Decision', value: (p) => h('span', { 'data-testid': `decision-${p.name}` }, badge(p.decision.status)) },
  ];
  if (can('decide_patches')) {
    columns.push({
      label: 'Decide',
      value: (p) => (p.decision.status === 'pending' ? decisionControls(p, () => render(main, context)) : formatTime(p.decision.decided_at)),
    });
  }
  const parts = [
    h('h1', {}, 'Patch catalog'),
    field('Show', filter),
    table('Patches that fix open findings', columns, body.items, { empty: 'No patch fixes an open finding.' }),
  ];
  try {
    parts.push(...(await renderRules(can)));
  } catch (error) {
    parts.push(errorBox(error));
  }
  show(main, parts);
}
