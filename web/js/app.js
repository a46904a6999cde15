// The console's shell: login, the navigation that each role sees, and the
// hash router (#/hosts, #/hosts/h-..., ...), so the server serves one page.

import { api, ApiError, hasSessionCookie, setUnauthorizedHandler } from './api.js';
import { h, field, show, errorBox, announce } from './dom.js';
import * as dashboard from './pages/dashboard.js';
import * as hosts from './pages/hosts.js';
import * as findings from './pages/findings.js';
import * as patches from './pages/patches.js';
import * as deployments from './pages/deployments.js';
import * as calendar from './pages/calendar.js';
import * as reports from './pages/reports.js';
import * as tickets from './pages/tickets.js';
import * as settings from './pages/settings.js';

// Each page names the permissions of which the user needs at least one.
// The server checks again on every request; this only hides what a role
// cannot use.
const pages = [
  { path: 'dashboard', label: 'Dashboard', any: ['read_reports', 'read_hosts'], module: dashboard },
  { path: 'hosts', label: 'Hosts', any: ['read_hosts'], module: hosts },
  {
    path: 'host',
    label: 'Host',
    hidden: true,
    any: ['read_hosts'],
    module: { render: (main, context) => hosts.renderHost(main, context.params[0], context) },
  },
  { path: 'findings', label: 'Findings', any: ['read_findings'], module: findings },
  { path: 'patches', label: 'Patches', any: ['read_reports'], module: patches },
  { path: 'deployments', label: 'Deployments', any: ['read_deployments'], module: deployments },
  { path: 'calendar', label: 'Calendar', any: ['read_hosts'], module: calendar },
  { path: 'reports', label: 'Reports', any: ['read_reports'], module: reports },
  { path: 'tickets', label: 'Tickets', any: ['file_requests', 'decide_requests'], module: tickets },
  { path: 'settings', label: 'Settings', any: settings.permissions, module: settings },
];

const main = document.getElementById('main');
let me = null;

function can(permission) {
  return Boolean(me && me.permissions.includes(permission));
}

function allowed(page) {
  return page.any.some(can);
}

function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, ...rest] = hash.split('/').map(decodeURIComponent);
  return { path: path || '', params: rest };
}

function renderNav() {
  const { path } = currentRoute();
  show(
    document.getElementById('nav'),
    h(
      'ul',
      {},
      pages
        .filter((page) => allowed(page) && !page.hidden)
        .map((page) =>
          h(
            'li',
            {},
            h(
              'a',
              { href: `#/${page.path}`, 'aria-current': page.path === path ? 'page' : null },
              page.label,
            ),
          ),
        ),
    ),
  );
  document.getElementById('who').textContent = `${me.username} (${me.roles.join(', ')})`;
}

export function refused(container, what) {
  show(
    container,
    h('h1', {}, 'Not allowed'),
    h(
      'p',
      { class: 'refused', role: 'alert' },
      `Your roles do not allow ${what}. Ask the security team for access if you need it.`,
    ),
  );
}

// Each navigation renders into a fresh container, which replaces the page
// only if no later navigation started meanwhile: a slow page must not
// overwrite the one the user went to next.
let generation = 0;

async function route() {
  if (!me) return;
  const current = ++generation;
  renderNav();
  const { path, params } = currentRoute();
  const page = pages.find((candidate) => candidate.path === path);
  if (!page) {
    const first = pages.find((candidate) => allowed(candidate) && !candidate.hidden);
    location.replace(`#/${first ? first.path : 'tickets'}`);
    return;
  }
  const container = h('div', { class: 'page' });
  if (!allowed(page)) {
    refused(container, `the ${page.label} page`);
    document.title = 'Not allowed · patchkeeper';
  } else {
    document.title = `${page.label} · patchkeeper`;
    show(main, h('p', { class: 'loading' }, 'Loading…'));
    try {
      await page.module.render(container, { me, can, params, refused });
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) {
        refused(container, `the ${page.label} page`);
      } else {
        show(container, h('h1', {}, page.label), errorBox(error));
      }
    }
  }
  if (current !== generation || !me) return;
  show(main, container);
  main.focus({ preventScroll: true });
}

function renderLogin(message) {
  document.getElementById('top').hidden = true;
  document.title = 'Log in · patchkeeper';
  const username = h('input', { name: 'username', autocomplete: 'username', required: true });
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const problem = h('div', { class: 'error', role: 'alert', hidden: !message }, message || '');
  const form = h(
    'form',
    { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Log in to patchkeeper'),
    problem,
    field('Username', username),
    field('Password', password),
    h('button', { type: 'submit' }, 'Log in'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.hidden = true;
    try {
      await api.post('/api/v1/web/login', { username: username.value, password: password.value });
      await start();
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
      password.value = '';
      password.focus();
    }
  });
  show(main, form);
  username.focus();
}

async function start() {
  try {
    me = await api.get('/api/v1/me');
  } catch (error) {
    me = null;
    renderLogin(error instanceof ApiError && error.status === 401 ? '' : error.message);
    return;
  }
  document.getElementById('top').hidden = false;
  announce(`Logged in as ${me.username}.`);
  if (!location.hash || location.hash === '#/' || location.hash === '#/login') {
    location.hash = '#/dashboard';
  }
  await route();
}

document.getElementById('logout').addEventListener('click', async () => {
  try {
    await api.post('/api/v1/web/logout');
  } catch {
    // The session may have ended already; the login form follows anyway.
  }
  me = null;
  renderLogin('');
  announce('Logged out.');
});

setUnauthorizedHandler(() => {
  if (me) {
    me = null;
    renderLogin('Your session ended. Log in again.');
  }
});

window.addEventListener('hashchange', route);
if (hasSessionCookie()) {
  start();
} else {
  renderLogin('');
}
