// The web console's journeys in a real browser: Playwright drives Debian's
// chromium, headless, against a real patchkeeper-server on loopback with a
// real SQLite file and real agents (web_fleet). Each journey asserts on
// what the page shows, runs axe-core in the page, and saves screenshots.
//
// Environment: PK_WEB_FLEET (the fixture binary), PK_WEB_DIR (the console's
// files), PK_SCREENSHOT_DIR (where screenshots go), PK_CHROMIUM (default
// /usr/bin/chromium).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { readFileSync, mkdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const chromiumPath = process.env.PK_CHROMIUM || '/usr/bin/chromium';
const screenshots = process.env.PK_SCREENSHOT_DIR || path.resolve('screenshots');
const timeout = 20_000;

let fleet;
let fixture;
let browser;
let skipReason = '';

// The OSV feed "osv-http", served on loopback. A request waits while
// `feedGate` is set, so a journey can look at a sync in progress and then
// let it finish.
const httpFeedRecord = {
  schema_version: '1.6.0',
  id: 'DSA-9902-1',
  modified: '2026-12-02T00:00:00Z',
  summary: 'pkother: a package no test host has',
  aliases: ['CVE-2026-41002'],
  affected: [
    {
      package: { ecosystem: 'Debian:12', name: 'pkother' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0-1' }] }],
    },
  ],
};
let feedServer;
let feedGate = null;
let feedRequests = 0;

function holdFeed() {
  let release;
  const held = new Promise((resolve) => {
    release = resolve;
  });
  feedGate = { held, release };
  return () => {
    feedGate = null;
    release();
  };
}

function startFeedServer() {
  feedServer = createServer(async (request, response) => {
    feedRequests += 1;
    if (feedGate) await feedGate.held;
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(httpFeedRecord));
  });
  return new Promise((resolve) => {
    feedServer.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${feedServer.address().port}/osv/record.json`));
  });
}

function startFixture(feedUrl) {
  return new Promise((resolve, reject) => {
    fixture = spawn(process.env.PK_WEB_FLEET, [process.env.PK_WEB_DIR], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, PK_WEB_FLEET_HTTP_FEED: feedUrl },
    });
    const lines = createInterface({ input: fixture.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line)));
    fixture.once('exit', (code) => reject(Object.assign(new Error(`web_fleet exited ${code}`), { code })));
  });
}

before(async () => {
  if (!existsSync(chromiumPath)) {
    skipReason = `${chromiumPath} is missing; scripts/install-deps.sh installs chromium`;
    return;
  }
  try {
    fleet = await startFixture(await startFeedServer());
  } catch (error) {
    if (error.code === 77) {
      skipReason = 'web_fleet needs root and dpkg tools to build the hosts';
      return;
    }
    throw error;
  }
  mkdirSync(screenshots, { recursive: true });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (feedServer) {
    feedServer.closeAllConnections();
    feedServer.close();
  }
  if (fixture && fixture.exitCode === null) {
    fixture.stdin.end();
    await new Promise((resolve) => fixture.once('exit', resolve));
  }
});

// A fresh browser context (its own cookies) with a page that records
// Content-Security-Policy violations and page errors.
async function newPage() {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 860 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused/.test(message.text())) {
      page.problems.push(message.text());
    }
  });
  return page;
}

async function login(page, who) {
  await page.goto(fleet.base_url + '/');
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

// Runs axe-core inside the page (evaluated, so the page's CSP stays on)
// and fails on serious or critical violations.
async function assertAccessible(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'] }),
  );
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `axe-core violations on ${what}`,
  );
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

function skipIfNeeded(t) {
  if (skipReason) {
    t.skip(skipReason);
    return true;
  }
  return false;
}

test('log in', async (t) => {
  if (skipIfNeeded(t)) return;
  const page = await newPage();
  await page.goto(fleet.base_url + '/');
  await page.getByRole('heading', { name: 'Log in to patchkeeper' }).waitFor();
  await assertAccessible(page, 'the login page');
  await shot(page, 'login');

  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'username or password is wrong' }).waitFor();

  await login(page, fleet.admin);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.getByTestId('compliance-percent').waitFor();
  assert.match(await page.getByTestId('compliance-percent').innerText(), /%|—/);
  // Both hosts have the high-severity finding of DSA-9901-1.
  assert.equal(await page.locator('.severities li').filter({ hasText: 'high' }).innerText(), 'high: 2');
  await page.getByRole('heading', { name: 'Next maintenance windows' }).waitFor();
  assert.ok(await page.getByRole('cell', { name: 'Daily patching' }).first().isVisible());

  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'pk_session');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(session.secure, true);
  assert.equal(await page.evaluate(() => document.cookie.includes('pk_session')), false);

  // A state-changing request without the CSRF header is rejected even
  // though the browser sends the session cookie.
  const status = await page.evaluate(async () => {
    const response = await fetch('/api/v1/approval-rules', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'csrf probe' }),
    });
    return response.status;
  });
  assert.equal(status, 403);

  await assertAccessible(page, 'the dashboard');
  await shot(page, 'dashboard');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('find a vulnerable host', async (t) => {
  if (skipIfNeeded(t)) return;
  const page = await newPage();
  await login(page, fleet.admin);
  await page.getByRole('link', { name: 'Findings' }).click();
  await page.getByLabel('Advisory or CVE id').fill(fleet.cve);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByTestId('findings-heading').filter({ hasText: fleet.cve }).waitFor();
  await page.getByRole('link', { name: 'web-01' }).waitFor();
  assert.ok(await page.getByRole('link', { name: 'db-01' }).isVisible());
  await assertAccessible(page, 'the findings page');
  await shot(page, 'findings');

  await page.getByRole('link', { name: 'web-01' }).click();
  await page.getByRole('heading', { name: 'web-01' }).waitFor();
  await page.getByRole('cell', { name: 'DSA-9901-1' }).waitFor();
  assert.equal(await page.getByTestId('host-window').innerText(), 'Daily patching');
  await page.getByLabel('Package name').fill('pkdemo');
  await page.getByRole('button', { name: 'Search packages' }).click();
  await page.getByTestId('package-count').filter({ hasText: 'of 1' }).waitFor();
  await assertAccessible(page, 'the host page');
  await shot(page, 'host');

  await page.getByRole('link', { name: 'Hosts', exact: true }).click();
  await page.getByLabel('Search host name, id or owner').fill('db-');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByTestId('host-count').filter({ hasText: 'of 1' }).waitFor();
  assert.ok(await page.getByRole('link', { name: 'db-01' }).isVisible());
  await shot(page, 'hosts');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('approve a patch', async (t) => {
  if (skipIfNeeded(t)) return;
  const page = await newPage();
  await login(page, fleet.admin);
  await page.getByRole('link', { name: 'Patches' }).click();
  await page.getByTestId('decision-pkdemo').filter({ hasText: 'pending' }).waitFor();
  await assertAccessible(page, 'the patch catalog');
  await page.getByRole('button', { name: 'Approve pkdemo' }).click();
  await page.getByTestId('decision-pkdemo').filter({ hasText: 'approved' }).waitFor();
  await shot(page, 'patches');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('create a deployment and watch it complete', async (t) => {
  if (skipIfNeeded(t)) return;
  const page = await newPage();
  await login(page, fleet.admin);
  await page.getByRole('link', { name: 'Deployments' }).click();
  await page.getByRole('heading', { name: 'New deployment' }).waitFor();
  await page.getByLabel('Name').fill('pkdemo security update');
  await page.getByLabel(/^pkdemo 1\.0-2/).check();
  await page.getByLabel('Ring sequence').selectOption('web');
  await assertAccessible(page, 'the deployments page');
  await page.getByRole('button', { name: 'Create deployment' }).click();
  await page.getByRole('heading', { name: 'pkdemo security update' }).waitFor();
  await shot(page, 'deployment-running');
  await page
    .getByTestId('deployment-status')
    .filter({ hasText: 'completed' })
    .waitFor({ timeout: 150_000 });
  await page.getByRole('cell', { name: 'succeeded', exact: true }).waitFor();
  // Jobs name their host, linking to its page.
  const hostLink = page.getByRole('table', { name: 'One job per host' }).getByRole('link', { name: 'web-01', exact: true });
  assert.equal(await hostLink.getAttribute('href'), `#/host/${fleet.hosts['web-01']}`);
  await assertAccessible(page, 'a deployment');
  await shot(page, 'deployment-completed');

  await page.getByRole('link', { name: /^Job log/ }).first().click();
  await page.getByRole('heading', { name: /^Job j-/ }).waitFor();
  assert.match(await page.locator('ol.log').innerText(), /succeeded/);
  assert.ok(await page.getByRole('link', { name: 'web-01', exact: true }).isVisible());
  await shot(page, 'job-log');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('open the calendar', async (t) => {
  if (skipIfNeeded(t)) return;
  const page = await newPage();
  await login(page, fleet.admin);
  await page.getByRole('link', { name: 'Calendar' }).click();
  await page.getByRole('table', { name: /Maintenance windows and deployment dates/ }).waitFor();
  assert.ok((await page.locator('.entry-window').count()) >= 28);
  await assertAccessible(page, 'the month view');
  await shot(page, 'calendar-month');

  await page.getByRole('link', { name: 'Week', exact: true }).click();
  await page.getByTestId('calendar-title').filter({ hasText: 'Week of' }).waitFor();
  assert.equal(await page.locator('.entry-window').filter({ hasText: 'Daily patching' }).count(), 7);
  await page.getByRole('button', { name: 'Create a subscription link' }).click();
  const feed = await page.getByTestId('subscribe-links').locator('code').first().innerText();
  assert.match(feed, /\/calendar\/[0-9a-f]+\/all\.ics$/);
  const ics = await page.evaluate(async (url) => (await fetch(url)).text(), feed);
  assert.match(ics, /^BEGIN:VCALENDAR/);
  await shot(page, 'calendar-week');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('download the servers-by-window CSV', async (t) => {
  if (skipIfNeeded(t)) return;
  const page = await newPage();
  await login(page, fleet.admin);
  await page.getByRole('link', { name: 'Reports' }).click();
  await page.getByRole('heading', { name: 'Daily patching' }).waitFor();
  await assertAccessible(page, 'the servers-by-window report');
  await shot(page, 'report');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'servers-by-window.csv');
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv, /^window_id,window_name,/);
  assert.match(csv, /Daily patching.*web-01/);

  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.getByRole('button', { name: 'Download CSV' }).isVisible(), false);
  await shot(page, 'report-print');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('an owner files a window move, and an admin approves it', async (t) => {
  if (skipIfNeeded(t)) return;
  const owner = await newPage();
  await login(owner, fleet.owner);
  assert.equal(await owner.getByRole('link', { name: 'Settings' }).count(), 0);
  await owner.getByRole('link', { name: 'Tickets' }).click();
  await owner.getByRole('link', { name: 'File a ticket' }).click();
  await owner.getByLabel('Server').selectOption({ label: 'db-01' });
  await owner.getByLabel('New window').selectOption({ label: 'Sunday nights' });
  await owner.getByLabel('Justification').fill('The database team patches on Sundays.');
  await assertAccessible(owner, 'the ticket form');
  await owner.getByRole('button', { name: 'File ticket' }).click();
  await owner.getByTestId('ticket-status').filter({ hasText: 'open' }).waitFor();
  assert.equal(await owner.getByTestId('ticket-change').innerText(), 'to window Sunday nights');
  const ticketUrl = owner.url();
  await shot(owner, 'ticket-filed');
  assert.equal(await owner.getByRole('button', { name: 'Approve' }).count(), 0);

  const admin = await newPage();
  await login(admin, fleet.admin);
  await admin.goto(ticketUrl);
  await admin.getByRole('button', { name: 'Approve' }).click();
  await admin.getByTestId('ticket-status').filter({ hasText: /approved|applied/ }).waitFor();
  await assertAccessible(admin, 'a decided ticket');
  await shot(admin, 'ticket-approved');
  assert.deepEqual([...owner.problems, ...admin.problems], []);
  await owner.context().close();
  await admin.context().close();
});

test('a viewer is refused the admin pages', async (t) => {
  if (skipIfNeeded(t)) return;
  const page = await newPage();
  await login(page, fleet.viewer);
  assert.equal(await page.getByRole('link', { name: 'Tickets' }).count(), 0);
  await page.goto(fleet.base_url + '/#/settings/users');
  await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
  assert.match(await page.locator('.refused').innerText(), /Users and roles/);
  assert.equal(await page.getByRole('link', { name: 'Users and roles' }).count(), 0);
  await assertAccessible(page, 'the refusal');
  await shot(page, 'viewer-refused');

  // The server rejects it too, with the CSRF header the page would send.
  const status = await page.evaluate(async () => {
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('pk_csrf=')).slice(8);
    const response = await fetch('/api/v1/users', { headers: { 'X-CSRF-Token': csrf } });
    return response.status;
  });
  assert.equal(status, 403);

  // The viewer gets no settings tab, and the API refuses its changes.
  await page.goto(fleet.base_url + '/#/settings/rings');
  await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Delete / }).count(), 0);
  const changeStatus = await page.evaluate(async () => {
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('pk_csrf=')).slice(8);
    const response = await fetch('/api/v1/collections/web', {
      method: 'DELETE',
      headers: { 'X-CSRF-Token': csrf },
    });
    return response.status;
  });
  assert.equal(changeStatus, 403);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('every page passes axe-core', async (t) => {
  if (skipIfNeeded(t)) return;
  const page = await newPage();
  await login(page, fleet.admin);
  const pagesToCheck = [
    ['hosts', 'Hosts'],
    [`host/${fleet.hosts['db-01']}`, 'db-01'],
    ['deployments', 'Deployments'],
    ['tickets', 'Tickets'],
    ['reports/compliance/collection', 'Compliance by group'],
    ['reports/overdue', 'Overdue hosts'],
    [`reports/cve/${fleet.cve}`, 'Vulnerable hosts by CVE'],
    ['settings/windows', 'Settings: Windows'],
    ['settings/rings', 'Settings: Collections and rings'],
    ['settings/feeds', 'Settings: Feeds'],
    ['settings/enrolment', 'Settings: Enrolment secrets'],
    ['settings/users', 'Settings: Users and roles'],
    ['settings/audit', 'Settings: Audit log'],
    ['settings/webhooks', 'Settings: Webhooks'],
  ];
  for (const [hash, heading] of pagesToCheck) {
    await page.goto(`${fleet.base_url}/#/${hash}`);
    await page.getByRole('heading', { name: heading, exact: true, level: 1 }).waitFor();
    await assertAccessible(page, `#/${hash}`);
  }
  await shot(page, 'settings-audit');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// Fills one field of the form named `form`.
async function fill(page, form, label, value) {
  await page.getByRole('form', { name: form }).getByLabel(label, { exact: true }).fill(value);
}

async function submit(page, form, button) {
  await page.getByRole('form', { name: form }).getByRole('button', { name: button }).click();
}

test('an admin edits collections and ring sequences', async (t) => {
  if (skipIfNeeded(t)) return;
  const page = await newPage();
  page.on('dialog', (dialog) => dialog.accept());
  await login(page, fleet.admin);
  await page.goto(fleet.base_url + '/#/settings/rings');
  await page.getByRole('heading', { name: 'Settings: Collections and rings', level: 1 }).waitFor();

  await fill(page, 'New collection', 'Id (a-z, 0-9, -)', 'canary');
  await fill(page, 'New collection', 'Name', 'Canary hosts');
  await submit(page, 'New collection', 'Create collection');
  await page.getByRole('cell', { name: 'Canary hosts', exact: true }).waitFor();

  await page.getByText('Edit canary', { exact: true }).click();
  await fill(page, 'Edit collection canary', 'Name', 'Canary servers');
  await page.getByRole('form', { name: 'Edit collection canary' }).getByLabel('Rule: kind').selectOption('server');
  await submit(page, 'Edit collection canary', 'Save collection');
  await page.getByRole('cell', { name: 'Canary servers', exact: true }).waitFor();
  await page.getByRole('cell', { name: 'rule: kind server', exact: true }).waitFor();

  // Bad rings: one the page catches, one the server does.
  await fill(page, 'New ring sequence', 'Id (a-z, 0-9, -)', 'canary-first');
  await fill(page, 'New ring sequence', 'Name', 'Canary first');
  await fill(page, 'New ring sequence', 'Rings, one a line', 'canary, soon');
  await submit(page, 'New ring sequence', 'Create ring sequence');
  await page.getByRole('alert').filter({ hasText: 'Ring 1 ("canary, soon")' }).waitFor();
  await fill(page, 'New ring sequence', 'Rings, one a line', 'nosuch, 0, 100');
  await submit(page, 'New ring sequence', 'Create ring sequence');
  await page.getByRole('alert').filter({ hasText: 'nosuch' }).waitFor();

  await fill(page, 'New ring sequence', 'Rings, one a line', 'canary, 0, 100\nweb, 1, 95');
  await submit(page, 'New ring sequence', 'Create ring sequence');
  await page.getByRole('cell', { name: 'Canary first', exact: true }).waitFor();
  await assertAccessible(page, 'the collections and rings settings');
  await shot(page, 'settings-rings');

  // The collection is a ring of the sequence: the server's 409 is shown.
  await page.getByRole('button', { name: 'Delete canary', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'is a ring of the ring sequence(s) canary-first' }).waitFor();

  await page.getByText('Edit canary-first', { exact: true }).click();
  await fill(page, 'Edit ring sequence canary-first', 'Rings, one a line', 'web, 2, 90');
  await submit(page, 'Edit ring sequence canary-first', 'Save ring sequence');
  await page.getByRole('cell', { name: 'web (soak 2 h, ≥90%)', exact: true }).waitFor();

  await page.getByRole('button', { name: 'Delete canary-first', exact: true }).click();
  await page.getByRole('cell', { name: 'Canary first', exact: true }).waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Delete canary', exact: true }).click();
  await page.getByRole('cell', { name: 'Canary servers', exact: true }).waitFor({ state: 'detached' });

  // The audit log shows the newest event first.
  await page.goto(fleet.base_url + '/#/settings/audit');
  await page.getByRole('heading', { name: 'Settings: Audit log', level: 1 }).waitFor();
  await page.getByLabel('Object id').fill('canary');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByRole('table', { name: /newest first/ }).waitFor();
  const actions = await page.locator('tbody tr td:nth-child(4)').allInnerTexts();
  assert.deepEqual(actions, ['collection.delete', 'collection.update', 'collection.create']);
  assert.match(page.url(), /object_id=canary/);
  await assertAccessible(page, 'the filtered audit log');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('an admin adds and removes a webhook', async (t) => {
  if (skipIfNeeded(t)) return;
  const page = await newPage();
  page.on('dialog', (dialog) => dialog.accept());
  await login(page, fleet.admin);
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('heading', { name: 'Settings: Webhooks', level: 1 }).waitFor();

  await fill(page, 'New webhook', 'URL (https)', 'http://helpdesk.invalid/hook');
  await page.getByRole('checkbox', { name: 'ticket.created' }).check();
  await submit(page, 'New webhook', 'Create webhook');
  await page.getByRole('alert').filter({ hasText: 'url' }).waitFor();

  await fill(page, 'New webhook', 'URL (https)', 'https://127.0.0.1:9/hooks/patchkeeper');
  await page.getByRole('checkbox', { name: 'ticket.created' }).check();
  await submit(page, 'New webhook', 'Create webhook');
  assert.match(await page.getByTestId('secret').innerText(), /^whsec_[0-9a-f]{64}$/);
  await page.getByRole('cell', { name: 'https://127.0.0.1:9/hooks/patchkeeper' }).waitFor();
  await assertAccessible(page, 'the webhooks settings');
  await shot(page, 'settings-webhooks');

  await page.getByRole('button', { name: /^Delete webhook / }).click();
  await page.getByText('No webhooks.').waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('sync a feed and watch it finish', async (t) => {
  if (skipIfNeeded(t)) return;
  const page = await newPage();
  await login(page, fleet.admin);
  await page.goto(fleet.base_url + '/#/settings/feeds');
  await page.getByRole('heading', { name: 'Settings: Feeds', level: 1 }).waitFor();

  const before = feedRequests;
  const release = holdFeed();
  try {
    await page.getByRole('button', { name: 'Sync osv-http now' }).click();
    await page.getByTestId('sync-progress').filter({ hasText: 'Syncing osv-http: running since' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Sync osv-http now' }).getAttribute('aria-busy'), 'true');
    assert.equal(await page.getByRole('button', { name: 'Sync osv now' }).isDisabled(), true);
    await assertAccessible(page, 'a running feed sync');
    await shot(page, 'feed-sync-running');
  } finally {
    release();
  }
  await page.getByTestId('sync-result').filter({ hasText: 'Sync of osv-http finished' }).waitFor();
  assert.ok(feedRequests > before);
  assert.equal(await page.getByTestId('feed-status-osv-http').innerText(), 'ok');
  await shot(page, 'feed-sync-finished');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
