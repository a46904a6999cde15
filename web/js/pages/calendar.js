// The calendar: month and week views of window occurrences and deployment
// dates (in UTC), and subscribe links to the iCalendar feeds.

import { api, withQuery } from '../api.js';
import { h, show, link, formatTime, announce, errorBox } from '../dom.js';

const dayNames = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function utcDay(date) {
  return date.toISOString().slice(0, 10);
}

function startOfWeek(date) {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = (day.getUTCDay() + 6) % 7;
  day.setUTCDate(day.getUTCDate() - weekday);
  return day;
}

function addDays(date, days) {
  const next = new Date(date);
  next.setUTCDate(next.getUTCDate() + days);
  return next;
}

function parseState(params) {
  const view = params[0] === 'week' ? 'week' : 'month';
  const anchor = params[1] && /^\d{4}-\d{2}-\d{2}$/.test(params[1]) ? new Date(params[1] + 'T00:00:00Z') : new Date();
  return { view, anchor };
}

function range({ view, anchor }) {
  if (view === 'week') {
    const from = startOfWeek(anchor);
    return { from, to: addDays(from, 7), first: from, days: 7 };
  }
  const monthStart = new Date(Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth(), 1));
  const monthEnd = new Date(Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth() + 1, 1));
  const first = startOfWeek(monthStart);
  const days = Math.ceil((monthEnd - first) / 86400000 / 7) * 7;
  return { from: first, to: addDays(first, days), first, days, monthStart };
}

function entriesByDay(body) {
  const byDay = new Map();
  const add = (day, entry) => {
    if (!byDay.has(day)) byDay.set(day, []);
    byDay.get(day).push(entry);
  };
  for (const event of body.events) {
    add(event.start_utc.slice(0, 10), {
      at: event.start_utc,
      kind: 'window',
      text: `${event.start_utc.slice(11, 16)} ${event.window_name} (${event.servers} servers)`,
    });
  }
  for (const date of body.deployment_dates) {
    const what = { deployment_available: 'available', deployment_ring_start: `ring ${date.ring_name ?? ''} starts`, deployment_deadline: 'deadline' }[date.type] || date.type;
    add(date.at.slice(0, 10), {
      at: date.at,
      kind: date.cancelled ? 'cancelled' : 'deployment',
      text: `${date.at.slice(11, 16)} ${date.deployment_name}: ${what}${date.planned ? ' (planned)' : ''}`,
    });
  }
  for (const list of byDay.values()) list.sort((a, b) => a.at.localeCompare(b.at));
  return byDay;
}

function grid(state, span, byDay) {
  const today = utcDay(new Date());
  const weeks = [];
  for (let week = 0; week < span.days / 7; week++) {
    weeks.push(
      h(
        'tr',
        {},
        dayNames.map((_, index) => {
          const date = addDays(span.first, week * 7 + index);
          const day = utcDay(date);
          const outside = state.view === 'month' && date.getUTCMonth() !== span.monthStart.getUTCMonth();
          const entries = byDay.get(day) || [];
          return h(
            'td',
            { class: [outside ? 'outside' : '', day === today ? 'today' : ''].join(' ').trim() || null, 'data-day': day },
            h('span', { class: 'day-number' }, String(date.getUTCDate())),
            h('ul', { class: 'entries' }, entries.map((entry) => h('li', { class: `entry entry-${entry.kind}` }, entry.text))),
          );
        }),
      ),
    );
  }
  return h(
    'table',
    { class: `calendar calendar-${state.view}` },
    h('caption', {}, 'Maintenance windows and deployment dates, times in UTC'),
    h('thead', {}, h('tr', {}, dayNames.map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, weeks),
  );
}

async function subscribePanel() {
  const list = h('div', { 'data-testid': 'subscribe-links' });
  const button = h('button', { type: 'button' }, 'Create a subscription link');
  button.addEventListener('click', async () => {
    try {
      const created = await api.post('/api/v1/calendar/feed-tokens', { name: `console ${new Date().toISOString().slice(0, 10)}` });
      const origin = location.origin;
      show(
        list,
        h('p', {}, 'Add these addresses to your calendar app. They are shown only now; keep them private.'),
        h(
          'ul',
          {},
          h('li', {}, 'Every window: ', h('code', {}, origin + created.feeds.all)),
          h('li', {}, 'Deployment dates: ', h('code', {}, origin + created.feeds.deployments)),
        ),
      );
      announce('Subscription link created.');
    } catch (error) {
      show(list, errorBox(error));
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'subscribe' }, h('h2', { id: 'subscribe' }, 'Subscribe'), h('p', {}, 'Calendar apps such as Outlook or Thunderbird can follow the schedule through an iCalendar feed.'), button, list);
}

export async function render(main, { params, can }) {
  const state = parseState(params);
  const span = range(state);
  const body = await api.get(withQuery('/api/v1/calendar', { from: span.from.toISOString(), to: span.to.toISOString() }));
  const byDay = entriesByDay(body);
  const step = (direction) => {
    const next = state.view === 'week' ? addDays(span.first, 7 * direction) : new Date(Date.UTC(span.monthStart.getUTCFullYear(), span.monthStart.getUTCMonth() + direction, 1));
    return `#/calendar/${state.view}/${utcDay(next)}`;
  };
  const title = state.view === 'week'
    ? `Week of ${utcDay(span.first)}`
    : span.monthStart.toLocaleString('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  const parts = [
    h('h1', {}, 'Calendar'),
    h(
      'nav',
      { class: 'calendar-nav', 'aria-label': 'Calendar views' },
      link(`#/calendar/month/${utcDay(state.anchor)}`, 'Month'),
      link(`#/calendar/week/${utcDay(state.anchor)}`, 'Week'),
      link(step(-1), state.view === 'week' ? 'Previous week' : 'Previous month'),
      link(step(1), state.view === 'week' ? 'Next week' : 'Next month'),
    ),
    h('h2', { 'data-testid': 'calendar-title' }, title),
    grid(state, span, byDay),
    h('p', {}, `${body.events.length} window occurrences and ${body.deployment_dates.length} deployment dates from ${formatTime(body.from)} to ${formatTime(body.to)}.`),
  ];
  if (can('manage_own_tokens')) parts.push(await subscribePanel());
  show(main, parts);
}
